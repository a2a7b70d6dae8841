"""Render the demo plan's PDF and turn each page into a PNG for review.

    .venv/bin/python scripts/pdf_previews.py                 # A4 -> docs/pdf-preview/page-N.png
    .venv/bin/python scripts/pdf_previews.py --large-print   # -> docs/pdf-preview/large-print/
    .venv/bin/python scripts/pdf_previews.py --page-size Letter --dpi 80 --out /tmp/letter

The demo plan is built in a throwaway SQLite database (migrated here) and rolled back, so the
development database is never touched. Needs pdftoppm (Debian: poppler-utils).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "pdf-preview"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-print", action="store_true")
    parser.add_argument("--page-size", choices=["A4", "Letter"], default="A4")
    parser.add_argument("--dpi", type=int, default=70)
    parser.add_argument("--out", type=Path, help="Folder for the PNGs.")
    parser.add_argument("--keep-pdf", action="store_true", help="Also copy plan.pdf there.")
    args = parser.parse_args(argv)
    out = args.out or (DEFAULT_OUT / "large-print" if args.large_print else DEFAULT_OUT)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        print("pdftoppm not found: apt-get install -y poppler-utils", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="pdf-preview-") as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'preview.sqlite3'}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        pdf = Path(tmp) / "plan.pdf"
        call_command(
            "render_plan",
            demo=True,
            output=str(pdf),
            large_print=args.large_print,
            page_size=args.page_size,
        )
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("page-*.png"):
            old.unlink()
        prefix = Path(tmp) / "page"
        subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [pdftoppm, "-png", "-r", str(args.dpi), str(pdf), str(prefix)], check=True
        )
        pages = sorted(Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.split("-")[1]))
        for number, page in enumerate(pages, 1):
            shutil.move(page, out / f"page-{number}.png")
        if args.keep_pdf:
            shutil.copy(pdf, out / "plan.pdf")
    print(f"{len(pages)} pages -> {out}/page-1.png … page-{len(pages)}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
