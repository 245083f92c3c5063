"""Deterministic generator of the bundled datasets' source data (and, when missing, their definitions).

    python datasets/generate.py                      # rewrite every datasets/<id>/data/* file
    python datasets/generate.py --definitions        # also (re)write dataset.yaml, schema.json, expectations.json

Same seed, same bytes: re-running produces identical files (the .xlsx has fixed zip timestamps).
All people are synthetic (pipelines.synth): ID numbers carry valid check characters over real
region codes, bank cards pass Luhn, but no record describes a real person.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import polars as pl
import yaml

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from pipelines import synth  # noqa: E402

CONTACT_EMAIL = "data@{dept}.gov.example.cn"
LICENSE = "CC-BY-4.0"

# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def fld(name, type_, sensitivity, title, desc=None, *, pii=None, desensitize=None, constraints=None, **extra):
    f = {"name": name, "type": type_, "title": title}
    if desc:
        f["description"] = desc
    f.update(extra)
    if constraints:
        f["constraints"] = constraints
    f["sensitivity"] = sensitivity
    if pii:
        f["pii"] = pii
    if desensitize:
        f["desensitize"] = desensitize
    return f


def exp(type_, severity=None, **kwargs):
    e = {"type": type_, "kwargs": kwargs, "meta": {}}
    if severity:
        e["meta"]["severity"] = severity
    return e


def suite(name, expectations):
    return {"name": name, "expectations": expectations, "meta": {"great_expectations_version": "1.x", "generated_by": "datasets/generate.py"}}


def uscc(n: int, rng: np.random.Generator, regions: list[str]) -> list[str]:
    """Unified social credit codes (GB 32100) with valid organization-code and overall check characters."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    out = []
    w31 = [pow(3, i, 31) for i in range(17)]
    for i in range(n):
        body8 = "".join(str(d) for d in rng.integers(0, 10, 8))
        s = sum(int(c) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2)))
        c9 = 11 - s % 11
        org = body8 + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
        first17 = "91" + regions[i] + org
        total = sum(alphabet.index(c) * w for c, w in zip(first17, w31))
        out.append(first17 + alphabet[(31 - total % 31) % 31])
    return out


def write_yaml(path: Path, data: dict) -> None:
    path.write_text("# Dataset definition — validated by pipelines.descriptor (schema: ../dataset.schema.json)\n"
                    + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def deterministic_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and order so the bytes are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", body)
            dst.writestr(zi, body)
    return out.getvalue()


#: the bundled datasets describe one city: Wuhan's 13 districts (real GB/T 2260 codes)
CITY = {"name": "武汉市", "code": "420100"}
DISTRICTS = [(c, "湖北省", "武汉市", d) for c, d in (
    ("420102", "江岸区"), ("420103", "江汉区"), ("420104", "硚口区"), ("420105", "汉阳区"), ("420106", "武昌区"),
    ("420107", "青山区"), ("420111", "洪山区"), ("420112", "东西湖区"), ("420113", "汉南区"), ("420114", "蔡甸区"),
    ("420115", "江夏区"), ("420116", "黄陂区"), ("420117", "新洲区"))]


def common(id_, title, title_en, description, dept, theme, keywords, open_condition, freq, temporal, spatial, source, disclosure):
    return {
        "id": id_, "title": title, "title_en": title_en, "description": description,
        "department": dept, "theme": theme, "keywords": keywords, "license": LICENSE,
        "open_condition": open_condition, "update_frequency": freq, "temporal": temporal, "spatial": spatial,
        "contact": {"name": dept["name"] + "数据管理办公室", "email": CONTACT_EMAIL.format(dept=dept["id"]), "phone": "12345"},
        "source": source, "schema": "schema.json", "expectations": "expectations.json", "disclosure": disclosure,
    }


# --------------------------------------------------------------------------------------------
# 1. social security — GBK CSV, conditional, microdata with hidden PII in remarks
# --------------------------------------------------------------------------------------------

def social_security(folder: Path):
    frame = synth.social_security_frame(2000, seed=2024)
    synth.write_csv(frame, folder / "data" / "pension_payments_2024.csv", encoding="gbk")
    pid = {"method": "pseudonymize"}
    schema = {
        "fields": [
            fld("record_id", "string", "public", "发放记录编号", constraints={"required": True, "unique": True, "pattern": r"^SS\d{10,}$"}),
            fld("person_id", "string", "direct-identifier", "公民身份号码", pii="cn_resident_id", desensitize=pid,
                constraints={"required": True, "pattern": r"^\d{17}[\dXx]$"}),
            fld("name", "string", "direct-identifier", "姓名", pii="person_name", desensitize={"method": "mask"}, constraints={"required": True}),
            fld("sex", "string", "quasi-identifier", "性别", desensitize={"method": "keep"}, constraints={"enum": ["男", "女"]}),
            fld("birth_date", "date", "quasi-identifier", "出生日期", desensitize={"method": "generalize", "to": "year"}),
            fld("mobile", "string", "direct-identifier", "手机号码", pii="cn_mobile", desensitize={"method": "mask"}, constraints={"pattern": r"^1[3-9]\d{9}$"}),
            fld("bank_card", "string", "sensitive-personal", "社保卡银行账号", pii="bank_card", desensitize={"method": "mask"},
                constraints={"pattern": r"^62\d{14}(\d{3})?$"}),
            fld("address", "string", "personal", "居住地址", pii="address", desensitize={"method": "generalize", "to": "district"}),
            fld("district_code", "string", "public", "区县代码", "GB/T 2260 行政区划代码", constraints={"required": True, "pattern": r"^\d{6}$"}),
            fld("street_code", "string", "public", "街道（乡镇）代码", "区内街道编码，保留前导零", constraints={"pattern": r"^\d{6}$"}),
            fld("insurance_type", "string", "public", "险种", constraints={"required": True, "enum": list(synth.INSURANCE_TYPES)}),
            fld("benefit_month", "yearmonth", "public", "待遇所属期", constraints={"required": True}),
            fld("amount", "number", "public", "发放金额（元）", constraints={"required": True, "minimum": 0}, decimalChar="."),
            fld("paid_date", "date", "public", "发放日期"),
            fld("status", "string", "public", "发放状态", constraints={"enum": list(synth.STATUSES)}),
            fld("remarks", "string", "personal", "备注", "经办人员自由填写，可能夹带电话或证件号", desensitize={"method": "mask", "free_text": True}),
        ],
        "primaryKey": ["record_id"],
        "missingValues": [""],
    }
    expectations = suite("social-security-pension", [
        exp("expect_table_row_count_to_be_between", min_value=100, max_value=50_000_000),
        exp("expect_column_values_to_not_be_null", column="record_id"),
        exp("expect_column_values_to_be_unique", column="record_id"),
        exp("expect_column_values_to_not_be_null", column="person_id"),
        exp("expect_column_values_to_match_regex", column="person_id", regex=r"^\d{17}[\dXx]$"),
        exp("expect_column_values_to_be_in_set", column="sex", value_set=["男", "女"]),
        exp("expect_column_values_to_be_in_set", column="insurance_type", value_set=list(synth.INSURANCE_TYPES)),
        exp("expect_column_values_to_be_in_set", column="status", value_set=list(synth.STATUSES)),
        exp("expect_column_values_to_be_between", column="amount", min_value=0, max_value=20000),
        exp("expect_column_values_to_match_regex", column="district_code", regex=r"^\d{6}$"),
        exp("expect_column_values_to_match_regex", column="mobile", regex=r"^1[3-9]\d{9}$", severity="warning", mostly=0.99),
        exp("expect_compound_columns_to_be_unique", "warning", column_list=["person_id", "benefit_month"]),
        exp("expect_column_mean_to_be_between", "warning", column="amount", min_value=1000, max_value=8000),
    ])
    dept = {"id": "hrss-bureau", "name": "市人力资源和社会保障局", "name_en": "Municipal Human Resources and Social Security Bureau"}
    desc = common(
        "social-security-pension", "2024年基本养老保险待遇发放明细", "Basic pension payments 2024",
        "按月发放的基本养老保险待遇明细（城镇职工、城乡居民、机关事业单位）。源文件为社保经办系统导出的 GBK 编码 CSV；"
        "个人身份信息经假名化、掩码与泛化处理后，仅向提出申请并获批准的单位开放。",
        dept, "social-security", ["养老保险", "待遇发放", "社会保障", "pension"], "conditional", "monthly",
        {"start": "2024-01-01", "end": "2024-12-31"}, CITY,
        {"connector": "csv", "options": {"path": "data/pension_payments_2024.csv", "encoding": "auto"}},
        {"kind": "microdata", "k": 5},
    )
    desc["spatial"] = CITY
    return desc, schema, expectations


# --------------------------------------------------------------------------------------------
# 2. education — Excel workbook with title rows, two-row merged header and notes
# --------------------------------------------------------------------------------------------

EDU_HEADER = ["区县代码", "区县名称", "学校标识码", "学校名称", "学段", "在校生人数_合计", "在校生人数_男", "在校生人数_女", "专任教师数", "寄宿制"]


def education(folder: Path):
    import openpyxl
    from openpyxl.styles import Alignment, Font

    rng = np.random.default_rng(3)
    stages = [("小学", (300, 2600)), ("初中", (400, 2200)), ("高中", (600, 3000)), ("九年一贯制", (800, 3200))]
    rows = []
    n = 0
    for code, _p, _c, dname in DISTRICTS:
        for k in range(int(rng.integers(12, 24))):
            stage, (lo, hi) = stages[int(rng.choice(4, p=[0.5, 0.25, 0.15, 0.1]))]
            n += 1
            total = int(rng.integers(lo, hi))
            male = int(round(total * rng.uniform(0.49, 0.54)))
            prefix = dname[:-1]
            sname = f"{prefix}区第{k + 1}{'小学' if stage == '小学' else '中学' if stage != '九年一贯制' else '实验学校'}"
            rows.append([code, dname, f"21{code[:4]}{n:04d}", sname, stage, total, male, total - male,
                         max(12, int(total / rng.uniform(11, 16))), "是" if stage == "高中" and rng.random() < 0.4 else "否"])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "在校生统计"
    ws["A1"] = "2024年各区中小学在校学生情况统计表"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:J1")
    ws["A2"] = "单位：人    统计时点：2024年9月1日    填报单位：市教育局发展规划处"
    ws.merge_cells("A2:J2")
    top = ["区县代码", "区县名称", "学校标识码", "学校名称", "学段", "在校生人数", None, None, "专任教师数", "寄宿制"]
    sub = [None, None, None, None, None, "合计", "男", "女", None, None]
    for c, v in enumerate(top, start=1):
        ws.cell(row=3, column=c, value=v).alignment = Alignment(horizontal="center")
    for c, v in enumerate(sub, start=1):
        if v:
            ws.cell(row=4, column=c, value=v)
    ws.merge_cells("F3:H3")
    for col in "ABCDEIJ":
        ws.merge_cells(f"{col}3:{col}4")
    for r, row in enumerate(rows, start=5):
        for c, v in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=v)
    last = 5 + len(rows)
    ws.cell(row=last + 1, column=1, value="注：1. 数据来源于2024年教育事业统计年报；2. 九年一贯制学校在校生含小学和初中阶段。")
    ws.cell(row=last + 2, column=1, value="制表：市教育局发展规划处")
    wb.properties.creator = "kaifang-generator"
    from datetime import datetime
    wb.properties.created = wb.properties.modified = datetime(2024, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "school_enrollment_2024.xlsx").write_bytes(deterministic_zip(buf.getvalue()))
    count = {"minimum": 0, "maximum": 10000}
    schema = {
        "fields": [
            fld("区县代码", "string", "public", "District code", constraints={"required": True, "pattern": r"^\d{6}$"}),
            fld("区县名称", "string", "public", "District name", constraints={"required": True}),
            fld("学校标识码", "string", "public", "School identifier", "教育部学校标识码（10位，文本）", constraints={"required": True, "unique": True, "pattern": r"^\d{10}$"}),
            fld("学校名称", "string", "public", "School name", constraints={"required": True}),
            fld("学段", "string", "public", "Stage", constraints={"enum": ["小学", "初中", "高中", "九年一贯制"]}),
            fld("在校生人数_合计", "integer", "public", "Enrolled students (total)", constraints={"required": True, **count}),
            fld("在校生人数_男", "integer", "public", "Enrolled students (male)", constraints=count),
            fld("在校生人数_女", "integer", "public", "Enrolled students (female)", constraints=count),
            fld("专任教师数", "integer", "public", "Full-time teachers", constraints={"minimum": 0}),
            fld("寄宿制", "boolean", "public", "Boarding school", trueValues=["是"], falseValues=["否"]),
        ],
        "primaryKey": ["学校标识码"],
    }
    expectations = suite("education-school-enrollment", [
        exp("expect_table_row_count_to_be_between", min_value=50, max_value=5000),
        exp("expect_column_values_to_be_unique", column="学校标识码"),
        exp("expect_column_values_to_match_regex", column="区县代码", regex=r"^\d{6}$"),
        exp("expect_column_values_to_be_in_set", column="学段", value_set=["小学", "初中", "高中", "九年一贯制"]),
        exp("expect_column_values_to_be_between", column="在校生人数_合计", min_value=0, max_value=10000),
        exp("expect_column_values_to_not_be_null", column="学校名称"),
        exp("expect_compound_columns_to_be_unique", column_list=["区县代码", "学校名称"]),
        exp("expect_column_mean_to_be_between", "warning", column="在校生人数_合计", min_value=300, max_value=3000),
    ])
    dept = {"id": "education-bureau", "name": "市教育局", "name_en": "Municipal Education Bureau"}
    desc = common(
        "education-school-enrollment", "2024年各区中小学在校学生情况", "School enrollment by school 2024",
        "各区公办中小学在校学生人数（分性别）与专任教师数，来自教育事业统计年报。源文件为带标题行、合并表头与注释行的 Excel 工作簿。",
        dept, "education", ["在校生", "中小学", "教育统计", "enrollment"], "unconditional", "yearly",
        {"start": "2024-09-01", "end": "2024-09-01"}, CITY,
        {"connector": "excel", "options": {"path": "data/school_enrollment_2024.xlsx", "sheet": "在校生统计", "header_row": 3, "header_rows": 2}},
        {"kind": "none"},
    )
    return desc, schema, expectations


# --------------------------------------------------------------------------------------------
# 3. health — SQL source (seeded into PostgreSQL by demo_sources), closed
# --------------------------------------------------------------------------------------------

DISEASES = ["流行性感冒", "手足口病", "其它感染性腹泻病", "肺结核", "乙型病毒性肝炎", "猩红热", "细菌性痢疾", "水痘"]
OCCUPATIONS = ["学生", "幼托儿童", "散居儿童", "农民", "工人", "离退休人员", "家务及待业", "商业服务", "医务人员", "教师"]
HOSPITALS = ["市第一人民医院", "市中心医院", "市妇幼保健院", "市传染病医院", "区人民医院", "区中医院", "社区卫生服务中心"]


def health(folder: Path):
    rng = np.random.default_rng(11)
    n = 800
    ppl = synth.people(n, rng, born_from="1940-01-01", born_to="2022-12-31")
    idx = rng.integers(0, len(DISTRICTS), n)
    districts = [DISTRICTS[i][0] for i in idx]
    onset = np.datetime64("2024-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    diag = onset + rng.integers(0, 6, n).astype("timedelta64[D]")
    secs = rng.integers(8 * 3600, 20 * 3600, n)
    birth_years = ppl.birth_date.str.slice(0, 4).cast(pl.Int32).to_numpy()
    frame = pl.DataFrame({
        "report_id": [f"CR2024{i:06d}" for i in range(1, n + 1)],
        "patient_name": synth.names(n, rng),
        "patient_id_number": ppl.person_id,
        "sex": ppl.sex,
        "age": (2024 - birth_years).astype(np.int32),
        "occupation": [OCCUPATIONS[i] for i in rng.integers(0, len(OCCUPATIONS), n)],
        "district_code": districts,
        "disease": [DISEASES[i] for i in rng.choice(len(DISEASES), n, p=[0.35, 0.2, 0.15, 0.08, 0.08, 0.05, 0.04, 0.05])],
        "case_type": [["确诊病例", "临床诊断病例", "疑似病例"][i] for i in rng.choice(3, n, p=[0.8, 0.15, 0.05])],
        "onset_date": pl.Series(onset.astype("datetime64[D]").astype(np.int32)).cast(pl.Date),
        "diagnosis_date": pl.Series(diag.astype("datetime64[D]").astype(np.int32)).cast(pl.Date),
        "report_time": [f"{d}T{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for d, s in zip(np.datetime_as_string(diag), secs)],
        "reporting_unit": [HOSPITALS[i] for i in rng.integers(0, len(HOSPITALS), n)],
    })
    synth.write_csv(frame, folder / "data" / "infectious_disease_reports.csv")
    schema = {
        "fields": [
            fld("report_id", "string", "public", "报告卡编号", constraints={"required": True, "unique": True, "pattern": r"^CR\d{10}$"}),
            fld("patient_name", "string", "direct-identifier", "患者姓名", pii="person_name", desensitize={"method": "drop"}),
            fld("patient_id_number", "string", "direct-identifier", "有效证件号", pii="cn_resident_id", desensitize={"method": "pseudonymize"}),
            fld("sex", "string", "quasi-identifier", "性别", desensitize={"method": "keep"}, constraints={"enum": ["男", "女"]}),
            fld("age", "integer", "quasi-identifier", "年龄", desensitize={"method": "generalize", "to": "range", "width": 10}, constraints={"minimum": 0, "maximum": 120}),
            fld("occupation", "string", "quasi-identifier", "人群分类", desensitize={"method": "keep"}, constraints={"enum": OCCUPATIONS}),
            fld("district_code", "string", "quasi-identifier", "现住址区县代码", desensitize={"method": "keep"}, constraints={"pattern": r"^\d{6}$"}),
            fld("disease", "string", "sensitive-personal", "疾病名称", "健康信息，属敏感个人信息", desensitize={"method": "suppress"}),
            fld("case_type", "string", "public", "病例分类", constraints={"enum": ["确诊病例", "临床诊断病例", "疑似病例"]}),
            fld("onset_date", "date", "personal", "发病日期", desensitize={"method": "generalize", "to": "month"}),
            fld("diagnosis_date", "date", "personal", "诊断日期", desensitize={"method": "generalize", "to": "month"}),
            fld("report_time", "datetime", "public", "报告时间"),
            fld("reporting_unit", "string", "public", "报告单位"),
        ],
        "primaryKey": ["report_id"],
    }
    expectations = suite("health-infectious-disease-reports", [
        exp("expect_table_row_count_to_be_between", min_value=100, max_value=1_000_000),
        exp("expect_column_values_to_be_unique", column="report_id"),
        exp("expect_column_values_to_not_be_null", column="disease"),
        exp("expect_column_values_to_be_between", column="age", min_value=0, max_value=120),
        exp("expect_column_values_to_be_in_set", column="case_type", value_set=["确诊病例", "临床诊断病例", "疑似病例"]),
        exp("expect_column_values_to_match_regex", column="patient_id_number", regex=r"^\d{17}[\dXx]$"),
        exp("expect_column_values_to_not_be_null", "warning", column="onset_date", mostly=0.98),
    ])
    dept = {"id": "health-commission", "name": "市卫生健康委员会", "name_en": "Municipal Health Commission"}
    desc = common(
        "health-infectious-disease-reports", "法定传染病个案报告", "Notifiable infectious disease case reports",
        "传染病报告信息管理系统中的法定传染病个案报告卡。含健康信息等敏感个人信息，仅在平台内部用于统计分析，不对外开放。源为卫健委业务数据库表。",
        dept, "health", ["传染病", "疫情监测", "公共卫生"], "closed", "daily",
        {"start": "2024-01-01", "end": "2024-12-31"}, CITY,
        {"connector": "sql", "options": {"url": "${KAIFANG_DEMO_PG_URL}", "table": "infectious_disease_reports", "order_by": "report_id", "batch_size": 500}},
        {"kind": "microdata", "k": 5},
    )
    return desc, schema, expectations


# --------------------------------------------------------------------------------------------
# 4. employment — paged JSON API served by demo_sources
# --------------------------------------------------------------------------------------------

JOBS = [("2-02-10-03", "软件开发工程师", "本科"), ("4-01-02-01", "营业员", "高中"), ("6-18-01-01", "机械装配工", "中专"),
        ("4-03-02-05", "中式烹调师", "初中"), ("2-06-01-02", "会计", "大专"), ("4-02-02-01", "快递员", "初中"),
        ("2-05-07-01", "护士", "大专"), ("4-07-05-01", "保安员", "高中"), ("2-08-01-03", "小学教师", "本科"),
        ("4-10-01-01", "养老护理员", "初中"), ("6-29-01-01", "电工", "中专"), ("3-01-01-02", "行政办事员", "大专")]
EMPLOYER_SUFFIX = ["科技有限公司", "商贸有限公司", "餐饮管理有限公司", "物流有限公司", "机械制造有限公司", "物业服务有限公司", "医院", "养老服务中心"]


def employment(folder: Path):
    rng = np.random.default_rng(5)
    n = 640
    dist = [DISTRICTS[i][0] for i in rng.integers(0, len(DISTRICTS), n)]
    codes = uscc(n, rng, dist)
    contacts = synth.names(n, rng).to_list()
    phones = synth.mobiles(n, rng).to_list()
    lands = synth.landlines(n, rng).to_list()
    records = []
    words = ["华信", "恒通", "瑞丰", "鼎盛", "天元", "安康", "汇力", "宏图", "江城", "湖滨", "锦程", "博远"]
    for i in range(n):
        code, title, edu = JOBS[int(rng.integers(0, len(JOBS)))]
        lo = int(rng.integers(30, 120)) * 100
        posted = np.datetime64("2024-06-01") + int(rng.integers(0, 180))
        rec = {
            "posting_id": f"JP{20240000 + i + 1}",
            "employer_name": f"武汉{words[int(rng.integers(0, len(words)))]}{EMPLOYER_SUFFIX[int(rng.integers(0, len(EMPLOYER_SUFFIX)))]}",
            "employer_uscc": codes[i],
            "job_title": title,
            "occupation_code": code,
            "district_code": dist[i],
            "salary_min": lo,
            "salary_max": lo + int(rng.integers(5, 60)) * 100,
            "headcount": int(rng.integers(1, 21)),
            "education_required": edu,
            "posted_date": str(posted),
            "valid_until": str(posted + 90),
            "contact_person": contacts[i],
            "contact_phone": phones[i] if rng.random() < 0.6 else lands[i],
            "accepts_graduates": bool(rng.random() < 0.5),
        }
        records.append(rec)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    write_json(folder / "data" / "job_postings.json", records)
    schema = {
        "fields": [
            fld("posting_id", "string", "public", "岗位编号", constraints={"required": True, "unique": True, "pattern": r"^JP\d{8}$"}),
            fld("employer_name", "string", "public", "用人单位名称", constraints={"required": True}),
            fld("employer_uscc", "string", "public", "统一社会信用代码", "单位标识，非个人信息", pii="cn_uscc",
                constraints={"pattern": r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"}),
            fld("job_title", "string", "public", "岗位名称", constraints={"required": True}),
            fld("occupation_code", "string", "public", "职业代码", "GB/T 6565 职业分类代码", constraints={"pattern": r"^\d-\d{2}-\d{2}-\d{2}$"}),
            fld("district_code", "string", "public", "工作地区县代码", constraints={"pattern": r"^\d{6}$"}),
            fld("salary_min", "integer", "public", "月薪下限（元）", constraints={"minimum": 0}),
            fld("salary_max", "integer", "public", "月薪上限（元）", constraints={"minimum": 0}),
            fld("headcount", "integer", "public", "招聘人数", constraints={"minimum": 1}),
            fld("education_required", "string", "public", "学历要求", constraints={"enum": ["初中", "高中", "中专", "大专", "本科", "硕士"]}),
            fld("posted_date", "date", "public", "发布日期", constraints={"required": True}),
            fld("valid_until", "date", "public", "有效期至"),
            fld("contact_person", "string", "personal", "联系人", pii="person_name", desensitize={"method": "mask"}),
            fld("contact_phone", "string", "personal", "联系电话", pii="cn_mobile", desensitize={"method": "mask"}),
            fld("accepts_graduates", "boolean", "public", "接受应届毕业生"),
        ],
        "primaryKey": ["posting_id"],
    }
    expectations = suite("employment-job-postings", [
        exp("expect_table_row_count_to_be_between", min_value=10, max_value=1_000_000),
        exp("expect_column_values_to_be_unique", column="posting_id"),
        exp("expect_column_values_to_not_be_null", column="employer_name"),
        exp("expect_column_values_to_be_between", column="salary_min", min_value=2000, max_value=100000),
        exp("expect_column_values_to_be_in_set", column="education_required", value_set=["初中", "高中", "中专", "大专", "本科", "硕士"]),
        exp("expect_column_values_to_match_regex", column="occupation_code", regex=r"^\d-\d{2}-\d{2}-\d{2}$"),
        exp("expect_column_mean_to_be_between", "warning", column="headcount", min_value=1, max_value=30),
    ])
    dept = {"id": "employment-service-center", "name": "市公共就业服务中心", "name_en": "Municipal Public Employment Service Center"}
    desc = common(
        "employment-job-postings", "公共就业服务平台招聘岗位信息", "Job postings on the public employment service platform",
        "用人单位通过公共就业服务平台发布的招聘岗位，含薪资区间、学历要求与工作地点。源为就业服务平台分页 JSON 接口，联系人信息经掩码后开放。",
        dept, "employment", ["招聘", "岗位", "就业服务", "jobs"], "unconditional", "daily",
        {"start": "2024-06-01"}, CITY,
        {"connector": "http", "options": {"url": "${KAIFANG_DEMO_API_URL}/api/v1/job-postings", "records_path": "data", "pagination": "page",
                                          "page_param": "page", "size_param": "page_size", "page_size": 100, "total_path": "total"}},
        {"kind": "none"},
    )
    return desc, schema, expectations


# --------------------------------------------------------------------------------------------
# 5. civil affairs — S3 prefix (two quarterly CSV objects), microdata
# --------------------------------------------------------------------------------------------

STREETS = ["新华街道", "城关街道", "东风街道", "南湖街道", "花园街道", "龙山街道"]


def civil_affairs(folder: Path):
    rng = np.random.default_rng(7)
    n = 1200
    ppl = synth.people(n, rng, born_from="1945-01-01", born_to="1995-12-31")
    idx = rng.integers(0, len(DISTRICTS), n)
    kind = rng.choice(2, n, p=[0.7, 0.3])
    size = rng.choice([1, 2, 3, 4, 5], n, p=[0.35, 0.3, 0.2, 0.1, 0.05])
    per_head = np.where(kind == 0, 1070, 820)
    amount = (per_head * size * rng.uniform(0.3, 1.0, n)).round(2)
    start = rng.integers(0, 24, n)
    approval = np.datetime64("2022-01-01") + (start * 30 + rng.integers(0, 25, n)).astype("timedelta64[D]")
    frame = pl.DataFrame({
        "case_no": [f"DB{DISTRICTS[i][0]}{k:05d}" for k, i in enumerate(idx, start=1)],
        "head_name": synth.names(n, rng),
        "head_id_number": ppl.person_id,
        "sex": ppl.sex,
        "birth_year": ppl.birth_date.str.slice(0, 4),
        "household_size": size.astype(str),
        "district_code": [DISTRICTS[i][0] for i in idx],
        "street_name": [STREETS[i] for i in rng.integers(0, len(STREETS), n)],
        "allowance_type": [["城市低保", "农村低保"][k] for k in kind],
        "monthly_amount": [f"{a:.2f}" for a in amount],
        "start_month": [f"{2022 + s // 12}-{s % 12 + 1:02d}" for s in start],
        "bank_card": synth.bank_cards(n, rng),
        "approval_date": [str(d) for d in approval.astype("datetime64[D]")],
    })
    half = n // 2
    synth.write_csv(frame[:half], folder / "data" / "subsistence_2024Q1.csv")
    synth.write_csv(frame[half:], folder / "data" / "subsistence_2024Q2.csv")
    schema = {
        "fields": [
            fld("case_no", "string", "public", "保障对象编号", constraints={"required": True, "unique": True, "pattern": r"^DB\d{11}$"}),
            fld("head_name", "string", "direct-identifier", "户主姓名", pii="person_name", desensitize={"method": "mask"}),
            fld("head_id_number", "string", "direct-identifier", "户主身份证号", pii="cn_resident_id", desensitize={"method": "pseudonymize"}),
            fld("sex", "string", "quasi-identifier", "户主性别", desensitize={"method": "keep"}, constraints={"enum": ["男", "女"]}),
            fld("birth_year", "year", "quasi-identifier", "户主出生年份", desensitize={"method": "generalize", "to": "range", "width": 10}),
            fld("household_size", "integer", "quasi-identifier", "保障人口数", desensitize={"method": "keep"}, constraints={"minimum": 1, "maximum": 12}),
            fld("district_code", "string", "public", "区县代码", constraints={"required": True, "pattern": r"^\d{6}$"}),
            fld("street_name", "string", "public", "街道（乡镇）"),
            fld("allowance_type", "string", "public", "保障类别", constraints={"enum": ["城市低保", "农村低保"]}),
            fld("monthly_amount", "number", "public", "月保障金（元）", constraints={"minimum": 0}),
            fld("start_month", "yearmonth", "public", "起始保障月份"),
            fld("bank_card", "string", "sensitive-personal", "发放账号", pii="bank_card", desensitize={"method": "drop"}),
            fld("approval_date", "date", "public", "审批日期"),
        ],
        "primaryKey": ["case_no"],
    }
    expectations = suite("civil-affairs-subsistence-allowance", [
        exp("expect_table_row_count_to_be_between", min_value=100, max_value=5_000_000),
        exp("expect_column_values_to_be_unique", column="case_no"),
        exp("expect_column_values_to_not_be_null", column="head_id_number"),
        exp("expect_column_values_to_be_in_set", column="allowance_type", value_set=["城市低保", "农村低保"]),
        exp("expect_column_values_to_be_between", column="household_size", min_value=1, max_value=12),
        exp("expect_column_values_to_be_between", column="monthly_amount", min_value=0, max_value=10000),
        exp("expect_column_mean_to_be_between", "warning", column="monthly_amount", min_value=200, max_value=3000),
    ])
    dept = {"id": "civil-affairs-bureau", "name": "市民政局", "name_en": "Municipal Civil Affairs Bureau"}
    desc = common(
        "civil-affairs-subsistence-allowance", "城乡最低生活保障对象名册", "Minimum living allowance recipients",
        "城乡低保对象按季度导出的名册，依规定公示。户主姓名掩码、身份证号假名化、发放账号不公开；源文件由民政业务系统按季度上传至对象存储。",
        dept, "civil-affairs", ["低保", "社会救助", "民政"], "unconditional", "quarterly",
        {"start": "2024-01-01", "end": "2024-06-30"}, CITY,
        {"connector": "s3", "options": {"endpoint_url": "${KAIFANG_DEMO_S3_ENDPOINT}", "bucket": "${KAIFANG_DEMO_S3_BUCKET}",
                                        "prefix": "civil-affairs/subsistence/2024/", "format": "csv",
                                        "access_key_id_env": "KAIFANG_DEMO_S3_ACCESS_KEY_ID", "secret_access_key_env": "KAIFANG_DEMO_S3_SECRET_ACCESS_KEY"}},
        {"kind": "microdata", "k": 5},
    )
    return desc, schema, expectations


# --------------------------------------------------------------------------------------------
# 6. culture & sports — UTF-8 with BOM, tab-separated, public facility list
# --------------------------------------------------------------------------------------------

VENUE_KINDS = [("体育馆", (2000, 12000)), ("全民健身中心", (300, 2000)), ("游泳馆", (200, 1500)), ("图书馆", (200, 3000)),
               ("文化馆", (150, 1200)), ("博物馆", (300, 5000)), ("美术馆", (100, 800))]


def culture_sports(folder: Path):
    rng = np.random.default_rng(9)
    rows = []
    k = 0
    for code, _p, city, dname in DISTRICTS:
        for kind, (lo, hi) in VENUE_KINDS:
            for j in range(int(rng.integers(1, 4))):
                k += 1
                road = synth.STREET_ROADS[int(rng.integers(0, len(synth.STREET_ROADS)))]
                lon = 114.30 + rng.uniform(-0.25, 0.25)
                lat = 30.59 + rng.uniform(-0.2, 0.2)
                free = kind in ("图书馆", "文化馆", "博物馆", "美术馆") or rng.random() < 0.3
                rows.append({
                    "venue_id": f"CV{code}{k:04d}",
                    "name": f"{dname}{'第' + str(j + 1) if j else ''}{kind}",
                    "category": kind,
                    "district_code": code,
                    "location": f"{city}{dname}{road}",
                    "longitude": f"{lon:.6f}",
                    "latitude": f"{lat:.6f}",
                    "open_year": str(int(rng.integers(1985, 2024))),
                    "capacity": str(int(rng.integers(lo, hi))),
                    "free_admission": "true" if free else "false",
                    "opening_hours": "周二至周日 09:00-17:00" if kind in ("图书馆", "博物馆", "美术馆", "文化馆") else "每日 06:30-21:30",
                    "booking_channel": ["微信公众号预约", "现场登记", "无需预约", "电话预约（12345转接）"][int(rng.integers(0, 4))],
                    "last_inspected": f"2024-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}T{int(rng.integers(9, 17)):02d}:00:00",
                })
    frame = pl.DataFrame(rows)
    path = folder / "data" / "public_venues.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + frame.write_csv(separator="\t").encode("utf-8"))
    schema = {
        "fields": [
            fld("venue_id", "string", "public", "场馆编号", constraints={"required": True, "unique": True}),
            fld("name", "string", "public", "场馆名称", constraints={"required": True}),
            fld("category", "string", "public", "场馆类型", constraints={"enum": [v[0] for v in VENUE_KINDS]}),
            fld("district_code", "string", "public", "区县代码", constraints={"pattern": r"^\d{6}$"}),
            fld("location", "string", "public", "所在道路", "场馆所在区和道路（门牌号不发布，避免被误判为个人地址）"),
            fld("longitude", "number", "public", "经度", constraints={"minimum": 73, "maximum": 136}),
            fld("latitude", "number", "public", "纬度", constraints={"minimum": 3, "maximum": 54}),
            fld("open_year", "year", "public", "开放年份"),
            fld("capacity", "integer", "public", "容纳人数", constraints={"minimum": 0}),
            fld("free_admission", "boolean", "public", "免费开放"),
            fld("opening_hours", "string", "public", "开放时间"),
            fld("booking_channel", "string", "public", "预约方式", constraints={"enum": ["微信公众号预约", "现场登记", "无需预约", "电话预约（12345转接）"]}),
            fld("last_inspected", "datetime", "public", "最近安全检查时间"),
        ],
        "primaryKey": ["venue_id"],
    }
    expectations = suite("culture-sports-venues", [
        exp("expect_table_row_count_to_be_between", min_value=10, max_value=100_000),
        exp("expect_column_values_to_be_unique", column="venue_id"),
        exp("expect_column_values_to_be_in_set", column="category", value_set=[v[0] for v in VENUE_KINDS]),
        exp("expect_column_values_to_be_between", column="longitude", min_value=73, max_value=136),
        exp("expect_column_values_to_be_between", column="latitude", min_value=3, max_value=54),
        exp("expect_column_values_to_not_be_null", column="name"),
        exp("expect_column_mean_to_be_between", "warning", column="capacity", min_value=100, max_value=10000),
    ])
    dept = {"id": "culture-sports-bureau", "name": "市文化和旅游体育局", "name_en": "Municipal Bureau of Culture, Tourism and Sports"}
    desc = common(
        "culture-sports-venues", "公共文化体育场馆名录", "Public cultural and sports venues",
        "全市公共图书馆、文化馆、博物馆、体育馆与全民健身中心的名录、开放时间、容量和位置。源文件为带 BOM 的 UTF-8 制表符分隔文本。",
        dept, "culture-sports", ["场馆", "公共文化", "全民健身", "venues"], "unconditional", "quarterly",
        {"start": "2024-01-01"}, CITY,
        {"connector": "csv", "options": {"path": "data/public_venues.tsv"}},
        {"kind": "none"},
    )
    return desc, schema, expectations


# --------------------------------------------------------------------------------------------
# 7. statistics bureau — aggregate table with small counts (disclosure control)
# --------------------------------------------------------------------------------------------

AGE_GROUPS = ["0-14", "15-24", "25-34", "35-44", "45-59", "60-74", "75+"]


def statistics(folder: Path):
    rng = np.random.default_rng(13)
    rows = []
    weights = np.array([0.14, 0.10, 0.16, 0.16, 0.22, 0.15, 0.07])
    for code, _p, _c, dname in DISTRICTS:
        base = int(rng.integers(60, 900))
        for g, w in zip(AGE_GROUPS, weights):
            for sex in ("男", "女"):
                resp = max(0, int(rng.poisson(base * w)))
                if rng.random() < 0.12:
                    resp = int(rng.integers(0, 10))  # sparse cells: small counts
                pension_rate = {"0-14": 0, "15-24": 0.02, "25-34": 0.05, "35-44": 0.06, "45-59": 0.2, "60-74": 0.92, "75+": 0.97}[g]
                with_pension = int(rng.binomial(resp, pension_rate)) if resp else 0
                income = round(float(rng.normal(5200 if g not in ("0-14",) else 0, 900)), 1) if resp and g != "0-14" else None
                rows.append({"survey_year": "2023", "district_code": code, "district_name": dname, "age_group": g, "sex": sex,
                             "respondents": str(resp), "with_pension": str(with_pension),
                             "avg_monthly_income": "" if income is None else f"{max(income, 0):.1f}"})
    frame = pl.DataFrame(rows)
    synth.write_csv(frame, folder / "data" / "household_survey_2023.csv")
    schema = {
        "fields": [
            fld("survey_year", "year", "public", "调查年度", constraints={"required": True}),
            fld("district_code", "string", "public", "区县代码", constraints={"required": True, "pattern": r"^\d{6}$"}),
            fld("district_name", "string", "public", "区县名称"),
            fld("age_group", "string", "public", "年龄组", constraints={"required": True, "enum": AGE_GROUPS}),
            fld("sex", "string", "public", "性别", constraints={"required": True, "enum": ["男", "女"]}),
            fld("respondents", "integer", "public", "调查人数", "小于10的单元格在发布前抑制", constraints={"required": True, "minimum": 0}),
            fld("with_pension", "integer", "public", "领取养老金人数", constraints={"minimum": 0}),
            fld("avg_monthly_income", "number", "public", "人均月收入（元）", constraints={"minimum": 0}),
        ],
        "primaryKey": ["survey_year", "district_code", "age_group", "sex"],
    }
    expectations = suite("statistics-household-survey", [
        exp("expect_table_row_count_to_be_between", min_value=10, max_value=100_000),
        exp("expect_compound_columns_to_be_unique", column_list=["survey_year", "district_code", "age_group", "sex"]),
        exp("expect_column_values_to_be_in_set", column="age_group", value_set=AGE_GROUPS),
        exp("expect_column_values_to_be_in_set", column="sex", value_set=["男", "女"]),
        exp("expect_column_values_to_be_between", column="respondents", min_value=0, max_value=100000),
        exp("expect_column_values_to_not_be_null", column="district_code"),
        exp("expect_column_mean_to_be_between", "warning", column="avg_monthly_income", min_value=1000, max_value=20000),
    ])
    dept = {"id": "statistics-bureau", "name": "市统计局", "name_en": "Municipal Bureau of Statistics"}
    desc = common(
        "statistics-household-survey", "2023年住户抽样调查分区分年龄性别汇总", "Household sample survey 2023 by district, age and sex",
        "住户抽样调查按区县、年龄组和性别汇总的调查人数、领取养老金人数和人均月收入。部分单元格人数很少，发布前按统计披露控制规则（小于10抑制、其余取整到5）处理。",
        dept, "statistics", ["住户调查", "人口", "收入", "统计"], "unconditional", "yearly",
        {"start": "2023-01-01", "end": "2023-12-31"}, CITY,
        {"connector": "csv", "options": {"path": "data/household_survey_2023.csv"}},
        {"kind": "aggregate", "threshold": 10, "round_to": 5, "dimensions": ["district_code", "age_group", "sex"],
         "counts": ["respondents", "with_pension"]},
    )
    return desc, schema, expectations


GENERATORS = {
    "social-security-pension": social_security,
    "education-school-enrollment": education,
    "health-infectious-disease-reports": health,
    "employment-job-postings": employment,
    "civil-affairs-subsistence-allowance": civil_affairs,
    "culture-sports-venues": culture_sports,
    "statistics-household-survey": statistics,
}


def generate(root: Path = ROOT, *, definitions: bool = False, only: list[str] | None = None) -> list[Path]:
    """Write every dataset's data (and definitions when asked or missing); return the folders."""
    out = []
    for ds_id, fn in GENERATORS.items():
        if only and ds_id not in only:
            continue
        folder = root / ds_id
        (folder / "data").mkdir(parents=True, exist_ok=True)
        desc, schema, expectations = fn(folder)
        if definitions or not (folder / "dataset.yaml").exists():
            write_yaml(folder / "dataset.yaml", desc)
        if definitions or not (folder / "schema.json").exists():
            write_json(folder / "schema.json", schema)
        if definitions or not (folder / "expectations.json").exists():
            write_json(folder / "expectations.json", expectations)
        out.append(folder)
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    folders = generate(definitions="--definitions" in args, only=[a for a in args if not a.startswith("--")] or None)
    for f in folders:
        print(f.relative_to(ROOT.parent))
