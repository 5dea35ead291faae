"""The persona studio's imports: a caregiver's box of memories turned into searchable memories.

The flow, one module per step or kind of material:

* ``upload``: the file streams to disk with a size limit (never into memory);
* ``detect`` and ``plan``: what the file really is (by its bytes), whether it
  can be read, and what it becomes; every fixable problem is a 4xx now, in
  plain words (``errors``), and a document far beyond any memoir is refused
  from a count of its paragraphs or pages before it is built (``counts``);
* ``run`` (in a background job, ``server.jobs``): read it (``textfile``,
  ``word``, ``pdf``, ``ebook``, ``voice_memo``, ``photo``), cut it into
  memories (``memoir``, ``letters``, ``chat``), save them in one transaction.
"""
