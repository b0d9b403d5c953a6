"""Which column of each bank's statement export holds what.

Each role lists the header names a bank uses for it, the first one present wins. A statement either splits money
into a credit and a debit column (贷方/借方), or has one signed amount column (negative = money out).

Sources:
- CMB (招商银行) corporate online banking, account transaction detail: 交易日, 交易时间, 起息日, 交易类型, 借方金额,
  贷方金额, 余额, 用途, 流程实例号, 业务名称, 业务参考号, 业务摘要, 其他摘要, 收(付)方分行名, 收(付)方名称,
  收(付)方账号, ... as listed by a receivables screen built on that export (github.com/sweetourgit/jiaqi,
  src/page/Finance/toDo/collection/recognitionDo.vue, tab 招商银行); older exports spell 帐号, and the serial is
  流水号 (交易流水号 in that screen).
- ICBC (工商银行) corporate online banking, 历史明细 export: no layout published by the bank was found. The columns
  used here (交易时间, 借方发生额, 贷方发生额, 对方单位名称, 对方账号, 摘要, 用途, and the serial as 交易流水号/流水号)
  follow the commonest layout in public importers of ICBC files (e.g. a bank-flow screen listing 本方账号, 对方行号,
  对方账号, 对方单位名称, 摘要, 用途), with 对方户名 accepted too.
- generic: the names most Chinese banks share (交易日期, 贷方金额/借方金额 or a signed 交易金额, 对方户名, 对方账号,
  摘要/附言, 流水号), for any other bank once its columns are renamed to these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatementFormat:
    name: str
    date: tuple[str, ...]  # a date, or a date and time in one cell
    serial: tuple[str, ...]
    payer_name: tuple[str, ...]
    payer_account: tuple[str, ...]
    memo: tuple[str, ...]  # every one present is read, joined by spaces
    credit: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()
    amount: tuple[str, ...] = ()  # signed: a statement without separate credit/debit columns
    time: tuple[str, ...] = ()
    currency: tuple[str, ...] = ("币种", "币别")

    def names_for(self, role: str) -> tuple[str, ...]:
        names: tuple[str, ...] = getattr(self, role)
        return names


FORMATS: dict[str, StatementFormat] = {
    "cmb": StatementFormat(
        name="cmb", date=("交易日", "交易日期"), time=("交易时间",), serial=("流水号", "交易流水号"),
        payer_name=("收(付)方名称", "收（付）方名称"), payer_account=("收(付)方账号", "收(付)方帐号", "收（付）方账号"),
        memo=("摘要", "用途", "业务摘要", "其他摘要", "其它摘要"), credit=("贷方金额",), debit=("借方金额",),
    ),
    "icbc": StatementFormat(
        name="icbc", date=("交易时间", "交易日期"), serial=("交易流水号", "流水号"),
        payer_name=("对方单位名称", "对方户名"), payer_account=("对方账号",), memo=("摘要", "用途", "附言"),
        credit=("贷方发生额", "贷方金额"), debit=("借方发生额", "借方金额"),
    ),
    "generic": StatementFormat(
        name="generic", date=("交易日期", "交易时间", "日期"), serial=("流水号", "交易流水号"),
        payer_name=("对方户名", "对方名称", "付款人名称"), payer_account=("对方账号", "付款人账号"),
        memo=("摘要", "附言", "备注", "用途"), credit=("贷方金额", "收入金额"), debit=("借方金额", "支出金额"),
        amount=("交易金额", "金额"),
    ),
}
