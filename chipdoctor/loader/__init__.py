"""How the dynamic loader would resolve a library: ELF dynamic sections, ld.so.cache, search order.

Pure readers (`elf`, `ldcache`, `ldconf`) plus the `ld.so(8)` search (`search`); nothing here
loads, maps or `dlopen`s a library. docs/loader.md describes the rules and their sources.
"""
