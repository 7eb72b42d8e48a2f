"""Japanese labels for codes shown on screen."""

ITEM_STATUS = {
    "available": "在架",
    "on-loan": "貸出中",
    "in-transit": "回送中",
    "on-hold-shelf": "取置中",
    "missing": "不明",
    "withdrawn": "除籍",
}
MATERIAL = {"book": "図書", "magazine": "雑誌", "dvd": "DVD", "cd": "CD"}
HOLD_STATUS = {
    "waiting": "予約待ち",
    "in-transit": "回送中",
    "ready": "受け取り可",
    "fulfilled": "貸出済",
    "cancelled": "取消",
    "expired": "期限切れ",
}
WEB_STATUS = {"none": "未登録", "temporary": "仮パスワード", "active": "利用中", "locked": "ロック中"}


def item_status(code: str) -> str:
    return ITEM_STATUS.get(code, code)


def material(code: str) -> str:
    return MATERIAL.get(code, code)
