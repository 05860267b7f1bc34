#!/usr/bin/env bash
# Executes every notebook in notebooks/ headless and exits non-zero if any cell fails.
#
#   bash notebooks/run.sh            execute into a temporary folder: the committed notebooks
#                                    stay as they are, and the script says whether their
#                                    rendered outputs still match a fresh run
#   bash notebooks/run.sh --update   execute in place, refreshing the committed outputs
#                                    (then review and commit the notebooks)
#
# Steps: create notebooks/.venv if missing (python3 -m venv; PYTHON=... picks another
# interpreter, 3.11 or newer), install requirements.txt when it changed since the last
# install, install the kendall Python package from ./python (`pip install ./python`: maturin
# builds the extension, incrementally after the first time; KENDALL_PIP_ARGS adds pip
# arguments), execute the notebooks. Each step prints its wall time.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
venv="$here/.venv"
python="${PYTHON:-python3}"

update=false
case "${1:-}" in
  "") ;;
  --update) update=true ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  *) echo "run.sh: unknown argument '$1' (expected --update or nothing)" >&2; exit 2 ;;
esac

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# 1. Python environment.
start="$(now)"
if [ ! -x "$venv/bin/python" ]; then
  echo "== creating $venv with $("$python" --version 2>&1)"
  "$python" -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
wanted="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
  echo "== installing notebooks/requirements.txt"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  echo "$wanted" > "$stamp"
else
  echo "== requirements already installed"
fi
echo "   install: $(elapsed "$start")"

# 2. The kendall package the notebooks import, built from this checkout.
start="$(now)"
echo "== pip install ./python (maturin; incremental after the first build)"
# shellcheck disable=SC2086  # KENDALL_PIP_ARGS is a list of arguments
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check ${KENDALL_PIP_ARGS:-} "$repo/python"
echo "   build and install: $(elapsed "$start")"

# 3. Execute. The venv's kernel, not one from the user's Jupyter folders.
export PATH="$venv/bin:$PATH" JUPYTER_PREFER_ENV_PATH=1
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
notebooks=("$here"/*.ipynb)
start="$(now)"
for nb in "${notebooks[@]}"; do
  echo "== executing notebooks/$(basename "$nb")"
  if $update; then where=(--inplace); else where=(--output-dir "$out"); fi
  # No timing metadata, and consecutive prints merged after execution (how ipykernel
  # splits them depends on timing): a re-run of an unchanged notebook gives the same file.
  jupyter nbconvert --log-level=WARN --to notebook --execute "${where[@]}" \
    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False \
    --NotebookExporter.preprocessors=nbconvert.preprocessors.CoalesceStreamsPreprocessor "$nb"
done
echo "   execute: $(elapsed "$start") for ${#notebooks[@]} notebook(s)"

# 4. Are the committed outputs still those of a fresh run? (Text outputs only: PNG bytes
#    may differ between platforms without the figures changing.) Informational.
if ! $update; then
  python - "$out" "${notebooks[@]}" <<'EOF'
import json, sys
from pathlib import Path

def text_outputs(path):
    cells = json.loads(Path(path).read_text())["cells"]
    out = []
    for cell in cells:
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                text = "".join(o["text"])
                if out and out[-1][0] == "stream":  # coalesce consecutive prints
                    out[-1] = ("stream", out[-1][1] + text)
                else:
                    out.append(("stream", text))
            elif o["output_type"] == "error":
                out.append(("error", o["ename"], o["evalue"]))
            else:
                data = o.get("data", {})
                out.append(tuple(sorted((k, "".join(v) if isinstance(v, list) else json.dumps(v))
                                        for k, v in data.items() if not k.startswith("image/"))))
    return out

fresh_dir, committed = Path(sys.argv[1]), sys.argv[2:]
for path in committed:
    name = Path(path).name
    if text_outputs(path) == text_outputs(fresh_dir / name):
        print(f"   {name}: committed outputs match this run")
    else:
        print(f"   {name}: committed outputs differ from this run: refresh them with "
              f"`bash notebooks/run.sh --update` and commit")
EOF
fi
echo "== all notebooks ran without errors"
