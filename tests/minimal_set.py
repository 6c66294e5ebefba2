"""A small, valid criteria set written out in full, so each test can break one line of it.

Two surveyed levels (so, huyen) and one without survey (xa); two groups; the
weights of Q2 are 3 (dai_bieu) to 1 (cong_chuc).
"""

SET_YAML = """\
name: Bộ thử nghiệm
year: 2024
fields:
  - {code: "1", name: Chỉ đạo điều hành}
  - {code: "2", name: Cải cách thể chế}
levels:
  - code: so
    name: Cấp sở
    appraisal_max: 99
    survey_max: 1.0
    fields:
      - field: "1"
        survey_max: 0.5
        criteria:
          - code: "1.1"
            name: Chỉ đạo
            sub_criteria:
              - {code: "1.1.1", name: Văn bản chỉ đạo, survey_max: 0.5}
      - field: "2"
        survey_max: 0.5
        criteria:
          - code: "2.1"
            name: Văn bản QPPL
            sub_criteria:
              - {code: "2.1.1", name: Tính khả thi, survey_max: 0.5}
  - code: huyen
    name: Cấp huyện
    survey_max: 0.5
    fields:
      - field: "1"
        survey_max: 0.5
        criteria:
          - code: "1.1"
            name: Chỉ đạo
            sub_criteria:
              - {code: "1.1.1", name: Văn bản chỉ đạo, survey_max: 0.5}
  - code: xa
    name: Cấp xã
    parent: huyen
scales:
  - code: quality
    options:
      - {code: tot, label: Tốt, fraction: 1.0}
      - {code: kem, label: Kém, fraction: 0}
      - {code: kb, label: Không biết, dont_know: true}
groups:
  - code: dai_bieu
    name: Đại biểu
    rates:
      - {level: so, how: each}
      - {level: huyen, how: each}
  - code: cong_chuc
    name: Công chức
    rates:
      - {level: so, how: own}
classes:
  - {code: tot, name: Tốt, min: 80}
  - {code: yeu, name: Yếu, min: 0}
district_rule:
  enabled: true
  min_share: 2/3
"""

SO_QUESTIONS = """\
level: so
questions:
  - id: Q1
    sub_criterion: "1.1.1"
    max_points: 0.5
    scale: quality
    text: Chất lượng văn bản chỉ đạo
  - id: Q2
    sub_criterion: "2.1.1"
    max_points: 0.25
    scale: quality
    text: Tính khả thi
    weights: {dai_bieu: 3}
  - id: Q3
    sub_criterion: "2.1.1"
    max_points: 0.25
    scale: quality
    text: Tính hiệu quả
"""

HUYEN_QUESTIONS = """\
level: huyen
questions:
  - id: H1
    sub_criterion: "1.1.1"
    max_points: 0.5
    scale: quality
    text: Chất lượng văn bản chỉ đạo của huyện
"""

SO_DAI_BIEU = """\
level: so
group: dai_bieu
title: Phiếu đại biểu
questions:
  - Q1
  - Q2
  - Q3
"""

SO_CONG_CHUC = """\
level: so
group: cong_chuc
questions:
  - Q1
  - {id: Q2, text: Văn bản có khả thi không}
"""

HUYEN_DAI_BIEU = """\
level: huyen
group: dai_bieu
questions:
  - H1
"""


def texts() -> dict[str, str]:
    """A fresh copy of the set's files, ``{relative path: text}``."""
    return {
        "set.yaml": SET_YAML,
        "questions/so.yaml": SO_QUESTIONS,
        "questions/huyen.yaml": HUYEN_QUESTIONS,
        "questionnaires/so-dai_bieu.yaml": SO_DAI_BIEU,
        "questionnaires/so-cong_chuc.yaml": SO_CONG_CHUC,
        "questionnaires/huyen-dai_bieu.yaml": HUYEN_DAI_BIEU,
    }
