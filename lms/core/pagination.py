"""Page arithmetic shared by the paged lists: how many pages, which page to show, which page links."""
from __future__ import annotations

# Far beyond any real list, and small enough for every database's OFFSET.
MAX_PAGE = 1_000_000


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items fill; at least 1, since an empty list is one empty page."""
    return max(1, -(-total // per_page))


def clamp_page(page: int, pages: int = MAX_PAGE) -> int:
    """The page to show for the one asked for: the first below 1, the last past the end."""
    return min(max(page, 1), pages)


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last and those near `page`; None marks a gap."""
    shown = sorted({1, pages, *range(page - around, page + around + 1)} & set(range(1, pages + 1)))
    numbers: list[int | None] = []
    previous = 0
    for number in shown:
        if number - previous > 1:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers
