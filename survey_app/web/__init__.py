"""The web app: one blueprint per audience (respond, auth, entry, admin, reports, api) and what they share
(:mod:`.common`). A blueprint imports services, outputs and common, never another blueprint."""
