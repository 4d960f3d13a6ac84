"""Write the JSONPath parser tables checkov needs into its own environment, once, at install.

checkov evaluates JSONPath expressions with ``bc_jsonpath_ng``, which builds a new ply parser
for every expression and, finding no parser tables on disk, generates the LALR tables each time
(a tenth of a second or more per expression, seconds per checkov run). ply reads tables from a
module beside the parser when one exists and its grammar signature matches, so writing them
once makes every later parse read them; a table whose signature does not match the grammar is
ignored and regenerated, so the result cannot change what checkov reports.

Run with checkov's interpreter (``make checkov-install`` does)::

    .venv-checkov/bin/python scripts/checkov_parse_tables.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import ply.yacc  # type: ignore[import-not-found]
from bc_jsonpath_ng import parser as base  # type: ignore[import-not-found]
from bc_jsonpath_ng.ext import parser as extended  # type: ignore[import-not-found]

#: The table module name ``bc_jsonpath_ng.parser.JsonPathParser.parse_token_stream`` asks for.
TABLE_MODULE = "parser_jsonpath_parsetab"


def main() -> int:
    """Write the tables of the base and the extended JSONPath grammar; print where."""
    for parser_class in (base.JsonPathParser, extended.ExtentedJsonPathParser):
        # ply looks the table module up in the package of the parser's class
        package_dir = Path(sys.modules[parser_class.__module__].__file__ or "").parent
        ply.yacc.yacc(
            module=parser_class(),
            tabmodule=TABLE_MODULE,
            outputdir=str(package_dir),
            write_tables=True,
            start="jsonpath",
            debug=False,
            errorlog=ply.yacc.NullLogger(),
        )
        written = package_dir / f"{TABLE_MODULE}.py"
        if not written.is_file():
            print(f"no parser table written to {written}", file=sys.stderr)
            return 1
        print(f"parser tables: {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
