"""Conformance corpus: CSVs with planted errors of every kind, each with its Table Schema.

Some cases recreate the shape of frictionless-py's own test data (``data/invalid.csv``,
``data/capital-invalid.csv``, linked-package errors); the rest plant one family of errors each.
``write(case, dir)`` writes ``<name>.csv`` and returns its path.
"""

from __future__ import annotations

from pathlib import Path

CASES: dict[str, tuple[str, dict]] = {}


def case(name: str, text: str, schema: dict) -> None:
    CASES[name] = (text, schema)


def write(name: str, directory: Path) -> Path:
    text, _ = CASES[name]
    path = directory / f"{name}.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


S = lambda name, type="string", **kw: {"name": name, "type": type, "sensitivity": "public", **kw}  # noqa: E731

# --- recreations of frictionless-py test data ------------------------------------------------
case(
    "fl_invalid",
    "id,name,,name\n1,english\n1,english\n\n2,german,1,2,3\n",
    {"fields": [S("id", "integer"), S("name"), S("field3"), S("name2")]},
)
case(
    "fl_capital_invalid",
    "id,name,name\n1,London,Britain\n2,Berlin,Germany\n3,Paris,France\n4,Madrid,Spain\n5,Rome,Italy\n"
    "6,Zagreb,Croatia\n7,Athens,Greece\n8,Vienna,Austria\n8,Warsaw\n\nx,Tokio,Japan,review\n",
    {"fields": [S("id", "integer", constraints={"unique": True}), S("name"), S("country")], "primaryKey": ["id"]},
)
case(
    "fl_blank_rows",
    "id,name,age\n1,john,\n,,\n2,alex,30\n,,\n\n3,sam,x\n",
    {"fields": [S("id", "integer"), S("name"), S("age", "integer")]},
)

# --- types ------------------------------------------------------------------------------------
case(
    "types_integer_number",
    "i,n\n1,1.5\n+5,-2\n 7 ,1e5\n1_000,.5\nx,5.\n1.0,NaN\n٣,Infinity\n-0,1,000\n"
    "99999999999999999999,abc\n007, 2.5 \n,\n0x10,1_0.5\n",
    {"fields": [S("i", "integer"), S("n", "number")]},
)
case(
    "types_boolean_year_yearmonth",
    "b,y,ym\ntrue,2024,2024-01\nTRUE,24,2024-1\n1,20240,2024-13\nyes,0999,202401\nFalse, 202,2024-00\n"
    "t,abcd,2024-12\n0,2024,12345-05\n",
    {"fields": [S("b", "boolean"), S("y", "year"), S("ym", "yearmonth")]},
)
case(
    "types_date_datetime_time",
    "d,dt,t\n2024-01-05,2024-01-05T10:00:00,10:00:00\n2024-1-5,2024-01-05T10:00:00Z,25:00:00\n"
    "2024-02-30,2024-01-05 10:00:00,10:00\n2024/01/05,2024-01-05T10:00:00+08:00,10:00:00Z\n"
    " 2024-01-05,2024-01-05T25:00:00,23:59:59\n2023-02-29,2024-01-05T10:00:00.123,1:2:3\n"
    "20240105,2024-01-05,\n",
    {"fields": [S("d", "date"), S("dt", "datetime"), S("t", "time")]},
)
case(
    "types_formats",
    "d,dt,b,e\n05/01/2024,05/01/2024 10:00,yes,a@example.org\n2024-01-05,2024-01-05T10:00:00,no,not-an-email\n"
    "31/02/2024,31/01/2024 10:61,true,b@example\n",
    {
        "fields": [
            S("d", "date", format="%d/%m/%Y"),
            S("dt", "datetime", format="%d/%m/%Y %H:%M"),
            S("b", "boolean", trueValues=["yes", "Y"], falseValues=["no", "N"]),
            S("e", "string", format="email"),
        ]
    },
)
case(
    "types_number_groupchar",
    "n,m\n1 000,\"1.000,5\"\n1000,\"2,5\"\n1 000 000,3.5\n\"1,5\",\"1,5.5\"\n",
    {"fields": [S("n", "number", groupChar=" "), S("m", "number", groupChar=".", decimalChar=",")]},
)

# --- constraints ----------------------------------------------------------------------------
case(
    "constraints",
    "code,name,age,amount,since,month,kind,level\n"
    "A1,张三,30,10.5,2020-01-01,2024-01,a,1\n"
    "A2,,17,-1,2019-12-31,2023-12,b,01\n"
    "a3,李,130,1000000.01,2030-01-01,2025-01,c,4\n"
    "A1,王五六七八九十,abc,NaN,2020-06-01,2024-06,A,2\n"
    ",赵六,65,0,,,,\n"
    "A5,钱七,18,100,2021-01-01,2024-13,a,x\n",
    {
        "fields": [
            S("code", constraints={"required": True, "unique": True, "pattern": "[A-Z][0-9]+"}),
            S("name", constraints={"required": True, "minLength": 2, "maxLength": 4}),
            S("age", "integer", constraints={"minimum": 18, "maximum": 120}),
            S("amount", "number", constraints={"minimum": 0, "maximum": 1000000}),
            S("since", "date", constraints={"minimum": "2020-01-01", "maximum": "2029-12-31"}),
            S("month", "yearmonth", constraints={"minimum": "2024-01", "maximum": "2024-12"}),
            S("kind", constraints={"enum": ["a", "b"]}),
            S("level", "integer", constraints={"enum": [1, 2, 3]}),
        ]
    },
)
case(
    "constraints_pattern_alternation",
    "p,q\nab,x1\nabc,x12\nzzb,1\nb,x\n",
    {"fields": [S("p", constraints={"pattern": "a|b"}), S("q", constraints={"pattern": "x\\d?"})]},
)
case(
    "primary_key_composite",
    "region,year,value\n110101,2023,1\n110101,2024,2\n110102,2023,3\n110101,2023,4\n,,5\n110102,,6\n110102,,7\n"
    "110103,x,8\n110103,x,9\n",
    {"fields": [S("region"), S("year", "year"), S("value", "integer")], "primaryKey": ["region", "year"]},
)
case(
    "foreign_key_self",
    "id,parent,name\n1,,root\n2,1,a\n3,2,b\n4,9,orphan\n5,x,bad\n6,5,c\n",
    {
        "fields": [S("id", "integer"), S("parent", "integer"), S("name")],
        "primaryKey": ["id"],
        "foreignKeys": [{"fields": ["parent"], "reference": {"resource": "", "fields": ["id"]}}],
    },
)
case(
    "missing_values",
    "a,b,c\nNA,1,x\n-,NA,\n,-,-\n1,2,NA\nNA,NA,NA\n",
    {
        "missingValues": ["", "NA"],
        "fields": [
            S("a", "integer", constraints={"required": True}),
            S("b", "integer", missingValues=["-"]),
            S("c", constraints={"required": True}),
        ],
    },
)

# --- header / structure -------------------------------------------------------------------
case(
    "header_incorrect_extra",
    "id,Name,age,extra\n1,a,3,z\n2,b,4\n3,c,5,z,more\n",
    {"fields": [S("id", "integer"), S("name"), S("age", "integer")]},
)
case(
    "header_missing",
    "id,name\n1,a\n2,b,3\n3\n",
    {"fields": [S("id", "integer"), S("name"), S("age", "integer", constraints={"required": True})]},
)
case(
    "header_duplicate_blank",
    "id,id,,name\n1,2,3,x\n",
    {"fields": [S("id", "integer"), S("id2", "integer"), S("c"), S("name")]},
)
case(
    "structure_ragged_quoted_bom",
    "\ufeffid,name,note\n1,\"多行\n地址\",ok\n2,\"a, b\",\n3,c\n4,d,e,f,\n\n5,,\n6,\"\",\n",
    {"fields": [S("id", "integer", constraints={"unique": True}), S("name", constraints={"required": True}), S("note")]},
)
case(
    "all_valid",
    "id,amount,when\n1,2.5,2024-01-01\n2,3,2024-02-29\n",
    {"fields": [S("id", "integer"), S("amount", "number"), S("when", "date")], "primaryKey": ["id"]},
)

#: two resources for a package-level foreign key (shape of frictionless' datapackages_linked_errors)
PACKAGE = {
    "cities": (
        "id,name\n1,London\n2,Paris\n3,Rome\n",
        {"fields": [S("id", "integer"), S("name")], "primaryKey": ["id"]},
    ),
    "people": (
        "name,city\nann,1\nbob,4\ncid,\ndan,2\neve,x\n",
        {
            "fields": [S("name"), S("city", "integer")],
            "foreignKeys": [{"fields": ["city"], "reference": {"resource": "cities", "fields": ["id"]}}],
        },
    ),
}

case(
    "structure_quoted_regular_crlf",
    'id,text,amount\r\n1,"a, b",1.5\r\n2,"line\nbreak",2\r\n3,"say ""hi""",x\r\n4,plain,"7"',
    {"fields": [S("id", "integer"), S("text"), S("amount", "number", decimalChar=".", groupChar="", constraints={"minimum": 2})]},
)

case(
    "types_edges",
    "d,dt,i,n\n0000-01-05,0000-01-05T00:00:00,+0,-0.0\n0001-01-01,0001-01-01T00:00:00,00012,1e400\n2024- 1-05,2024-01-05T00:00:00+00:00,1e3,inf\n"
    "99-01-05,2024-01-05t00:00:00,٣,-Infinity\n",
    {"fields": [S("d", "date"), S("dt", "datetime"), S("i", "integer"), S("n", "number")]},
)
