"""The supervisor's malloc-hole filling (postmaster._fill_heap_holes) with a fake malloc:
blocks inside the heap's free span are kept, the first one outside it is freed and the
next size is tried, and a block mmap placed below the heap never counts as a hole."""

from pgsvc.supervisor.postmaster import HOLE_FILL_SIZES, _fill_heap_holes

LOW, TOP = 1_000_000, 2_000_000


def fill(addresses):
    handed, freed = iter(addresses), []
    asked = []

    def malloc(size):
        asked.append(size)
        return next(handed, 0)

    _fill_heap_holes(lambda: (LOW, TOP), malloc, freed.append)
    return asked, freed


def test_blocks_inside_the_span_are_kept_and_the_first_outside_is_freed():
    asked, freed = fill([LOW + 10, LOW + 20, TOP + 5, LOW + 30])
    assert freed == [TOP + 5]
    assert asked[:4] == [HOLE_FILL_SIZES[0]] * 3 + [HOLE_FILL_SIZES[1]]


def test_a_block_below_the_heap_is_not_a_hole():
    asked, freed = fill([LOW - 4096, LOW + 10])
    assert freed == [LOW - 4096]
    assert asked[:2] == [HOLE_FILL_SIZES[0], HOLE_FILL_SIZES[1]]


def test_malloc_failure_stops_the_fill():
    asked, freed = fill([])
    assert asked == [HOLE_FILL_SIZES[0]] and freed == []


def test_no_size_is_served_by_mmap():
    assert max(HOLE_FILL_SIZES) < 128 * 1024  # glibc's smallest mmap threshold
