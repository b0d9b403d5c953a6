"""Statement files as the banks export them, for the import's tests: CMB's CSV layout (GBK), ICBC's XLSX layout,
and the generic CSV. Column names follow lib/billing/bank/formats.py's sources."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

CMB_HEADER = ["交易日", "交易时间", "起息日", "交易类型", "借方金额", "贷方金额", "余额", "摘要", "流水号",
              "流程实例号", "业务名称", "用途", "业务参考号", "业务摘要", "其它摘要", "收(付)方分行名",
              "收(付)方名称", "收(付)方帐号"]
ICBC_HEADER = ["凭证号", "本方账号", "对方账号", "交易时间", "借/贷", "借方发生额", "贷方发生额", "对方行号", "摘要",
               "用途", "对方单位名称", "余额", "交易流水号"]
GENERIC_HEADER = ["交易日期", "流水号", "对方户名", "对方账号", "交易金额", "摘要"]


def cmb_row(day: str, clock: str, serial: str, *, credit: str = "", debit: str = "", name: str = "",
            account: str = "", memo: str = "", purpose: str = "") -> list[str]:
    """One CMB row; day as 20261120."""
    kind = "汇入汇款" if credit else "汇出汇款"
    return [day, clock, day, kind, debit, credit, "1,000,000.00", memo, serial, "", "", purpose, "", "", "",
            "招商银行深圳分行", name, account]


def cmb_csv(rows: list[list[str]], *, encoding: str = "gbk") -> bytes:
    """CMB's export: account lines, a blank line, the header, the rows, a 合计 line."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([["账号:", "755912345610601"], ["户名:", "上海云智合作伙伴有限公司"], ["币种:", "人民币"],
                      ["查询期间:", "20261101--20261130"], []])
    writer.writerow(CMB_HEADER)
    writer.writerows(rows)
    writer.writerow(["合计", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""])
    return out.getvalue().encode(encoding)


def icbc_row(moment: object, serial: str, *, credit: object = None, debit: object = None, name: str = "",
             account: object = "", memo: str = "", purpose: str = "") -> list[object]:
    return ["", "1001234509000012345", account, moment, "贷" if credit is not None else "借", debit, credit,
            "102100099996", memo, purpose, name, None, serial]


def icbc_xlsx(rows: list[list[object]]) -> bytes:
    """ICBC's 历史明细 as XLSX: a title row, the header, the rows (cells typed as Excel keeps them)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["中国工商银行 账户历史明细"])
    sheet.append(ICBC_HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def generic_csv(rows: list[list[str]], *, bom: bool = True) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GENERIC_HEADER)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")
