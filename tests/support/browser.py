"""Chromium from Debian driven by Playwright, and the axe-core check every page must pass."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def assert_accessible(page: "Page") -> None:
    """axe-core (vendored, offline) finds no violation on the page as it stands."""
    await page.add_script_tag(path=str(AXE))
    results: dict[str, Any] = await page.evaluate("async () => await axe.run(document)")
    violations = results["violations"]
    for violation in violations:
        print(
            f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']}\n"
            + "\n".join(
                f"    {node['target']}: {node['failureSummary']}" for node in violation["nodes"]
            )
        )
    assert violations == [], (page.url, [v["id"] for v in violations])
    assert results["passes"], "axe ran no check at all"
