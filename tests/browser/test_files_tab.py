"""The Files tab, as a user works with it on a phone and at a desk: upload files and a folder,
read a file (header, highlighted code with line numbers), create and edit a file (an agent's
change meanwhile is not overwritten without asking), rename and delete with a confirmation
naming the thing, download one file; drag and drop on the desktop. Real Chromium, real server."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import dismiss_toasts, shoot
from tests.browser.test_users_day import sign_in, toast
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess

pytestmark = pytest.mark.browser

APP_PY = '''"""A tiny shop."""

def total(prices: list[float]) -> float:
    # the sum of a basket
    return round(sum(prices), 2)


if __name__ == "__main__":
    print(total([1.5, 2.25]))
'''


def entry(name: str) -> re.Pattern[str]:
    """A listing row's button: the name, then its size for a file."""
    return re.compile(rf"^{re.escape(name)}( |$)")


def _project(server: ServerProcess) -> tuple[int, Path]:
    admin = Api(server.base, "admin", ADMIN_PASSWORD)
    project = admin.project(name="Shop", slug="shop")
    root = Path(project["workspace_path"])
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(APP_PY)
    (root / "README.md").write_text("# Shop\n\nSells things.\n")
    for i in range(20):  # a folder longer than a phone's screen
        (root / "src" / f"module_{i:02}.py").write_text(f"VALUE = {i}\n")
    return int(project["id"]), root


def _open_files(page: Any, pid: int) -> Any:
    page.goto("/")
    sign_in(page, "admin", ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    page.goto(f"/projects/{pid}")
    page.get_by_role("tab", name="Files").click()
    return page.get_by_role("region", name="Files")


def _in_view(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] < page.viewport_size["height"] - 40


def test_files_on_a_phone(phone: Any, server: ServerProcess, tmp_path: Path) -> None:
    pid, root = _project(server)
    page = phone.new_page()
    files = _open_files(page, pid)
    listing = files.get_by_role("list", name="Contents of shop")
    expect(listing.get_by_role("button", name=entry("src"))).to_be_visible()
    assert files.locator("svg").count() > 4  # icons, not emoji
    assert "📁" not in files.inner_text() and "📄" not in files.inner_text()

    # Upload two files with the button, then a folder.
    (tmp_path / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    (tmp_path / "notes.txt").write_text("remember the milk\n")
    page.get_by_label("Files to upload").set_input_files([tmp_path / "logo.svg", tmp_path / "notes.txt"])
    toast(page, "Uploaded 2 files")
    expect(listing.get_by_role("button", name=entry("notes.txt"))).to_be_visible()
    assert (root / "notes.txt").read_text() == "remember the milk\n"
    site = tmp_path / "site"
    (site / "css").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Shop</h1>\n")
    (site / "css" / "shop.css").write_text("h1 { color: teal; }\n")
    dismiss_toasts(page)
    page.get_by_label("Folder to upload").set_input_files(site)
    toast(page, "Uploaded 2 files")
    expect(listing.get_by_role("button", name=entry("site"))).to_be_visible()
    assert (root / "site" / "css" / "shop.css").read_text() == "h1 { color: teal; }\n"
    # The same file again asks before replacing it.
    (tmp_path / "notes.txt").write_text("remember the bread\n")
    page.get_by_label("Files to upload").set_input_files([tmp_path / "notes.txt"])
    ask = page.get_by_role("dialog", name="Replace existing files?")
    expect(ask).to_contain_text("notes.txt")
    ask.get_by_role("button", name="Replace", exact=True).click()
    toast(page, "Uploaded notes.txt")
    assert (root / "notes.txt").read_text() == "remember the bread\n"

    # Open a file: the viewer scrolls into view with a header, line numbers and highlighting.
    page.evaluate("window.scrollTo(0, 0)")
    listing.get_by_role("button", name=entry("src")).click()
    files.get_by_role("list", name="Contents of src").get_by_role("button", name=entry("app.py")).click()
    viewer = files.get_by_role("region", name="File src/app.py")
    expect(viewer.get_by_role("heading", name="src/app.py")).to_be_visible()
    expect(viewer).to_contain_text("python")
    expect(viewer.locator(".code-view[data-highlighted]")).to_be_visible()
    expect(viewer.locator(".hljs-keyword").first).to_be_visible()
    assert viewer.locator(".code-view pre").first.inner_text().split("\n")[:3] == ["1", "2", "3"]
    page.wait_for_function(
        "() => { const r = document.querySelector('[aria-label=\"File src/app.py\"]').getBoundingClientRect();"
        " return r.top >= -1 && (r.top < 100 || r.bottom <= innerHeight + 1); }"
    )
    shoot(page, "files-open-file", ready="() => !!document.querySelector('.code-view[data-highlighted]')")

    # Edit and save.
    viewer.get_by_role("button", name="Edit src/app.py").click()
    editor = viewer.get_by_label("Contents of app.py")
    editor.fill(APP_PY.replace("round(sum(prices), 2)", "round(sum(prices), 3)"))
    viewer.get_by_role("button", name="Save", exact=True).click()
    toast(page, "Saved src/app.py")
    assert "round(sum(prices), 3)" in (root / "src" / "app.py").read_text()

    # The agent changes the file while it is open in the editor: saving asks first.
    viewer.get_by_role("button", name="Edit src/app.py").click()
    editor.fill("print('mine')\n")
    (root / "src" / "app.py").write_text("print('the agent')\n")
    viewer.get_by_role("button", name="Save", exact=True).click()
    conflict = viewer.get_by_role("alert")
    expect(conflict).to_contain_text("changed since it was opened")
    assert (root / "src" / "app.py").read_text() == "print('the agent')\n"
    shoot(page, "files-edit-conflict")
    conflict.get_by_role("button", name="Save mine anyway").click()
    toast(page, "Saved src/app.py")
    assert (root / "src" / "app.py").read_text() == "print('mine')\n"

    # On a phone the open file takes the place of the list and the folder's actions; Close
    # goes back to them.
    expect(files.get_by_role("list", name="Contents of src")).to_be_hidden()
    expect(files.get_by_role("button", name="New file")).to_be_hidden()
    viewer.get_by_role("button", name="Close the file").click()

    # New file, in the folder shown.
    files.get_by_role("button", name="New file").click()
    ask = page.get_by_role("dialog", name="New file in src")
    ask.get_by_label("File name").fill("../escape.py")
    ask.get_by_role("button", name="Create", exact=True).click()
    expect(ask.get_by_role("alert")).to_contain_text("not allowed")
    ask.get_by_label("File name").fill("util.py")
    ask.get_by_role("button", name="Create", exact=True).click()
    expect(ask).to_be_hidden()
    new_view = files.get_by_role("region", name="File src/util.py")
    new_view.get_by_label("Contents of util.py").fill("def helper():\n    return 42\n")
    new_view.get_by_role("button", name="Save", exact=True).click()
    toast(page, "Saved src/util.py")
    assert (root / "src" / "util.py").read_text() == "def helper():\n    return 42\n"

    new_view.get_by_role("button", name="Close the file").click()

    # Rename (move) and delete, each asking with the thing's name.
    src = files.get_by_role("list", name="Contents of src")
    src.get_by_role("button", name="Rename src/util.py").click()
    ask = page.get_by_role("dialog", name="Rename src/util.py")
    ask.get_by_label("New name").fill("src/helpers.py")
    ask.get_by_role("button", name="Rename", exact=True).click()
    toast(page, "Renamed to src/helpers.py")
    assert (root / "src" / "helpers.py").is_file() and not (root / "src" / "util.py").exists()
    files.get_by_role("navigation", name="Folder").get_by_role("button", name="shop", exact=True).click()
    listing.get_by_role("button", name="Delete site").click()
    ask = page.get_by_role("dialog", name="Delete the folder site?")
    expect(ask).to_contain_text("everything in it")
    shoot(page, "files-delete-confirm")
    ask.get_by_role("button", name="Delete", exact=True).click()
    toast(page, "Deleted site")
    assert not (root / "site").exists()
    expect(listing.get_by_role("button", name=entry("site"))).to_have_count(0)
    shoot(page, "files-phone-after")


def test_files_at_a_desk(desktop: Any, server: ServerProcess) -> None:
    pid, root = _project(server)
    page = desktop.new_page()
    files = _open_files(page, pid)
    listing = files.get_by_role("list", name="Contents of shop")
    expect(listing.get_by_role("button", name=entry("README.md"))).to_be_visible()
    expect(files.get_by_role("button", name="Download .zip")).to_be_visible()
    expect(files.get_by_role("button", name=".tar.gz")).to_be_visible()

    # Drag and drop a file onto the tab.
    page.evaluate(
        """() => {
            const dt = new DataTransfer();
            dt.items.add(new File(['dropped\\n'], 'dropped.txt', { type: 'text/plain' }));
            const target = document.querySelector('section[aria-label="Files"]');
            target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
            target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        }"""
    )
    toast(page, "Uploaded dropped.txt")
    assert (root / "dropped.txt").read_text() == "dropped\n"

    # The whole workspace as a .zip, made by the server from what is on disk now.
    with page.expect_download() as zipped:
        files.get_by_role("button", name="Download .zip").click()
    assert zipped.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(zipped.value.path()) as archive:
        names = archive.namelist()
        readme = next(n for n in names if n.endswith("README.md"))
        assert archive.read(readme) == b"# Shop\n\nSells things.\n"
        assert any(n.endswith("dropped.txt") for n in names), names

    listing.get_by_role("button", name=entry("README.md")).click()
    viewer = files.get_by_role("region", name="File README.md")
    expect(viewer.locator(".code-view[data-highlighted]")).to_be_visible()
    with page.expect_download() as info:
        viewer.get_by_role("button", name="Download README.md").click()
    download = info.value
    assert download.suggested_filename == "README.md"
    assert Path(download.path()).read_text() == "# Shop\n\nSells things.\n"
    shoot(page, "files-desk", ready="() => !!document.querySelector('.code-view[data-highlighted]')")
    page.emulate_media(color_scheme="dark")
    shoot(page, "files-desk-dark", ready="() => !!document.querySelector('.code-view[data-highlighted]')")
