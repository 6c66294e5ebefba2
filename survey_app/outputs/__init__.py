"""File formats and published tables: CSV/XLSX/JSON exports, raw ballots, SPSS/Stata, charts, QR codes,
the report tables and findings."""
