"""What a failed job's log says: the errors `check --log FILE` recognises in it.

Pure functions from text to `Symptom`s (chipdoctor/model.py): `reading` bounds and cleans the
log, `recognise` finds the messages of the one catalog of known failures (chipdoctor/smoke/
causes.py and the stacks' smoke.py, each entry beside the source of its text, shared with
`check --deep`), `judge` makes findings of the symptoms no finding explains. The rules read
the symptoms from `Inventory.symptoms` as one more input beside the machine's facts.

NOTE: this package imports nothing on its own: the rules import `kinds` alone, and the rest is
imported only when --log is given.
"""
