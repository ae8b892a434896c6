"""Start-up: each command imports what it needs and nothing else (counted, not timed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY_FOR_HELP = ("pydantic", "httpx", "cel", "yaml", "sageflow._flows._api", "sage_accounting")
#: cel's interactive shell, which `import cel` would load: flows never use it.
CEL_SHELL = ("prompt_toolkit", "rich", "pygments")


def _imported(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_help_imports_neither_models_nor_http_nor_cel() -> None:
    loaded = _imported(
        "from sageflow._cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert "click" in loaded
    # (cel.cli may be in sys.modules as the deferred placeholder sageflow puts there)
    assert not loaded & set(HEAVY_FOR_HELP)


def test_validate_does_not_load_cels_interactive_shell(tmp_path: Path) -> None:
    flow = tmp_path / "f.sageflow.yaml"
    flow.write_text(
        "name: f\nsteps:\n  - id: a\n    uses: sage_accounting/listContacts\n"
        "    if: ${{ !(1 > 2) }}\n"
    )
    loaded = _imported(
        "from sageflow._cli import main\n"
        f"try:\n    main(['validate', {str(flow)!r}])\nexcept SystemExit as e:\n"
        "    assert e.code == 0, e.code"
    )
    assert "cel" in loaded
    assert not {m for m in loaded if m.split(".")[0] in CEL_SHELL}


def test_the_deferred_cel_shell_still_works_when_used() -> None:
    code = (
        "import sageflow, cel\n"
        "assert 'prompt_toolkit' not in sys.modules\n"
        "import cel.cli\n"
        "assert callable(cel.cli.main)\n"
        "assert 'prompt_toolkit' in sys.modules\n"
        "assert str(cel.compile('1 + 2')) == 'Program(\"1 + 2\")'"
    )
    assert "cel.cli" in _imported(code)  # the script ran to its end: every assert held
