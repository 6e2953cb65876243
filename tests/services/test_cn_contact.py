"""Names, phones and addresses as families and elders give them to a form."""

from __future__ import annotations

import pytest

from assistant.services import cn_contact


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("赵大爷", "赵大爷"),
        ("我是王奶奶", "王奶奶"),
        ("我是陈爷爷", "陈爷爷"),
        ("李师傅", "李师傅"),
        ("周阿姨", "周阿姨"),
        ("老人叫刘桂芳", "刘桂芳"),
        ("我老伴儿叫何淑珍", "何淑珍"),
        ("俺娘叫范秀云", "范秀云"),
        ("叫我老张就行", "老张"),
        ("欧阳秀梅", "欧阳秀梅"),
        ("我姓王", "王"),
        ("王秀英。", "王秀英"),
        ("明天中午", None),
        ("再说一遍", None),
        ("我要找人工", None),
        ("派出所后面的平房", None),
        ("13700001111", None),
        ("", None),
    ],
)
def test_names(text: str, name: str | None) -> None:
    assert cn_contact.parse_name(text) == name


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13700001111", "13700001111"),
        ("137 0000 1111", "13700001111"),
        ("１３７００００１１１１", "13700001111"),
        ("+86 137-0000-1111", "13700001111"),
        ("010-84561234", "01084561234"),
        ("0311-5678901", "03115678901"),
        ("84561234", "84561234"),
        ("幺三七 零零零零 幺幺幺幺", "13700001111"),
        ("一三七零零零零一一一一", "13700001111"),
        ("我的电话是幺三九，幺二三四，五六七八", "13912345678"),
        ("零幺零 八四五六 幺二三四", "01084561234"),
        ("13700001111#", "13700001111"),
        ("两份", None),
        ("12月5号", None),
        ("1370000", None),
    ],
)
def test_phones(text: str, phone: str | None) -> None:
    assert cn_contact.parse_phone(text) == phone


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("派出所后面的平房", "派出所后面的平房"),
        ("我家住在幸福里5号楼302", "幸福里5号楼302"),
        ("急救中心斜对面的小区", "急救中心斜对面的小区"),
        ("消防队旁边那个院", "消防队旁边那个院"),
        ("送家里", None),
        ("明天", None),
    ],
)
def test_addresses(text: str, address: str | None) -> None:
    assert cn_contact.parse_address(text) == address


def test_binding_codes() -> None:
    assert cn_contact.binding_code("绑定码是 ab3k9z") == "AB3K9Z"
    assert cn_contact.binding_code("13700001111") is None
