"""
Named state layouts: a kernel declares its state's slots once, by name and size, in order.

Every kernel keeps its state in one float64 array, and a compiled step reads slot ``i`` as
``state[i]``. Numba folds a module-level int into the machine code as a constant, so the layout
must end as module-level ints, not a dict or an object looked up per event. A ``Layout`` hands
out consecutive offsets; each slot is declared by one assignment that names it::

    _svi = Layout(COMMON_HEADER)            # after the shared READY / VALUE slots
    SVI_WINDOW_NS = _svi.slot()             # one slot
    SVI_FIRST_TS = _svi.slot(TS_SLOTS)      # a timestamp: two slots
    SVI_RING = _svi.slot(event_ring_header_size(2))
    SVI_SLOTS = _svi.size                   # the whole layout

Inserting a slot moves the ones after it, with no offset to renumber by hand (the kind of
mistake a hand-numbered layout makes silently: two names on one slot). Plain assignments keep
each name defined where it is declared, so linters, ``grep`` and editors find it. The layout
also serves for blocks inside a state (an event ring's header, a group accumulator): their
offsets are relative to the block's start.
"""


class Layout:
    """
    Hand out the offsets of consecutive slots of a state array (or of a block inside one).

    Parameters
    ----------
    start : int, default 0
        The offset of the first slot declared (e.g. after a shared header).

    """

    __slots__ = ("size",)

    def __init__(self, start: int = 0) -> None:
        if start < 0:
            raise ValueError(f"a layout starts at a non-negative offset, was {start!r}")
        #: The offset after the last slot declared: the layout's size once it is complete.
        self.size = int(start)

    def slot(self, size: int = 1) -> int:
        """
        Declare the next ``size`` slots and return the offset of the first.

        Parameters
        ----------
        size : int, default 1
            Slots taken (e.g. ``TS_SLOTS`` for a timestamp, a block's header size).

        Returns
        -------
        int

        Raises
        ------
        ValueError
            If ``size`` is negative.

        """
        if size < 0:
            raise ValueError(f"a slot takes a non-negative number of slots, was {size!r}")
        offset = self.size
        self.size += int(size)
        return offset
