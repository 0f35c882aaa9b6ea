"""Shared fixtures: real SQLite files, a real PostgreSQL when FUSION_TUI_TEST_PG_URL is set,
and settings that run the fake simulator as a real subprocess; the tiers' markers and the
groups that keep shared resources on one xdist worker."""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fake_slurm import FakeSlurm
from fusion_checkout import make_checkout
from helpers import Cli
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fusion_tui.base import procs
from fusion_tui.base.ids import is_run_id
from fusion_tui.base.settings import Settings
from fusion_tui.executors.descriptions import TABLES
from fusion_tui.services import Services, open_services
from fusion_tui.store.database import make_engine, make_sessionmaker
from fusion_tui.store.migrate import upgrade_database
from fusion_tui.store.runs_repo import RunStore

# The real Slurm cluster's fixtures (`slurm_up`, `cluster`), for every tier that has a case on it.
pytest_plugins = ["slurm_cluster"]

TESTS = Path(__file__).resolve().parent
FAKE_SIM = TESTS / "fake_sim.py"
PG_ENV = "FUSION_TUI_TEST_PG_URL"
FAKE_COMMAND = (
    f"{sys.executable} {FAKE_SIM} --config_path {{config_path}} --run_id {{run_id}}"
    " --progress_file {progress_file} --output_dir {output_dir}"
)


CI_ENV = "FUSION_TUI_CI"
IN_CI = bool(os.environ.get(CI_ENV))

# Each folder under tests/ is a tier, marked with its own name; `slow` is what the quick
# tier (`pytest -m "not slow"`) leaves out.
TIERS = {"unit": (), "tui": (), "drills": ("slow",), "cluster": ("slow",)}
# Tests that share one thing of the machine run on one xdist worker, one after another
# (`--dist loadgroup`): the Slurm cluster (its fixture cancels every job of the user).
SERIAL_FIXTURES = {"slurm_up": "slurm-cluster"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier (its folder) and put the tests that share a resource of
    the machine in one xdist group; before xdist reads the groups, hence tryfirst."""
    for item in items:
        tier = item.path.parent.name
        assert tier in TIERS, f"{item.path}: a test belongs in a tier's folder ({', '.join(TIERS)})"
        for name in (tier, *TIERS.get(tier, ())):
            item.add_marker(name)
        for fixture, group in SERIAL_FIXTURES.items():  # `cluster` asks for `slurm_up`
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker("cluster")
                item.add_marker("slow")
                item.add_marker(pytest.mark.xdist_group(group))
                # The timeout covers the case itself: its fixtures bound their own waits
                # (the first waits for the cluster .ci/run is still starting).
                item.add_marker(pytest.mark.timeout(func_only=True))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI (`.ci/run` sets FUSION_TUI_CI) every test must run: a skip is a failure, so a
    missing tmux, PostgreSQL or root never passes quietly."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and IN_CI and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI, where it must run: {reason}"


@pytest.fixture(autouse=True)
def _no_process_outlives_its_test(tmp_path: Path) -> Iterator[None]:
    """Supervisors retry for ever against a store a test corrupted or removed, by design;
    after each test, end every process of ours whose run lives under its tmp_path."""
    yield
    run_ids = {p.name for p in tmp_path.glob("**/runs/*") if is_run_id(p.name)}
    for run_id in run_ids:
        for name in procs.MARKERS:
            for pid, _started in procs.processes_with(procs.marker(name, run_id)):
                if _started_under(pid, tmp_path):
                    with contextlib.suppress(OSError):
                        os.kill(pid, 9)


def _started_under(pid: int, tmp_path: Path) -> bool:
    """Whether `pid` is this test's: it works in its tmp_path or its environment names it
    (HOME is the test's own). Tests on other workers use the same fixed run ids."""
    mine = str(tmp_path).encode()
    try:
        if os.readlink(f"/proc/{pid}/cwd").encode().startswith(mine):
            return True
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return mine in fh.read()
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FUSION_TUI_* setting of the developer's shell leaks into a test, and no test
    reads or writes the developer's real store or settings: HOME is the test's own; nor
    does the shell's terminal decide the app's colours."""
    for key in list(os.environ):
        if key.startswith("FUSION_TUI_") and key not in (PG_ENV, CI_ENV):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    # The app's colours follow the terminal (16 colours take the ANSI theme, NO_COLOR
    # greys): the tests' pictures are in full colour whatever terminal runs them; the
    # tests of the other cases set these themselves.
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)


def _postgres_database() -> Iterator[str]:
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        pytest.skip(f"PostgreSQL cases need {PG_ENV} (set by .ci/run)")
    name = f"ft_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.cluster)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The database of a store/lifecycle test: a SQLite file, then a real PostgreSQL (a new
    database per test, so parallel workers never meet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def make_settings(tmp_path: Path, db_url: str, **changes: object) -> Settings:
    settings = Settings.load(env={"HOME": str(tmp_path)}, overrides={
        "home": tmp_path / "home",
        "database_url": db_url,
        "simulator_command": FAKE_COMMAND,
        "extra_template_dirs": (TESTS / "data" / "templates",),
        "cancel_grace": 2.0,
    }, tables=TABLES)
    return settings.with_overrides(**changes) if changes else settings


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url)


@pytest.fixture
def cli() -> Cli:
    """The `fusion-tui` command as a child process (helpers.Cli)."""
    return Cli()


@pytest.fixture
def services_with() -> Iterator[Callable[[Settings], Services]]:
    """Opens services on the settings a test chooses; each is closed after the test."""
    opened: list[Services] = []

    def open_with(settings: Settings) -> Services:
        opened.append(open_services(settings))
        return opened[-1]

    try:
        yield open_with
    finally:
        for svc in reversed(opened):
            svc.close()


@pytest.fixture
def services(settings: Settings,
             services_with: Callable[[Settings], Services]) -> Services:
    """Services on the `settings` fixture (SQLite, then PostgreSQL)."""
    return services_with(settings)


@pytest.fixture
def store(db_url: str) -> Iterator[RunStore]:
    """A migrated store on `db_url`, for the store's own cases."""
    engine = make_engine(db_url)
    upgrade_database(engine)
    yield RunStore(make_sessionmaker(engine))
    engine.dispose()


@pytest.fixture
def fake_slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSlurm:
    """Slurm's commands as small stand-ins first on PATH, answering from a state the test
    sets (tests/fake_slurm.py): the Slurm executor without a cluster."""
    fake = FakeSlurm.install(tmp_path / "fake-slurm")
    monkeypatch.setenv("PATH", f"{fake.bin}{os.pathsep}{os.environ['PATH']}")
    return fake


@pytest.fixture
def fusion_settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings that run FUSION from a checkout of the stand-in."""
    return make_settings(tmp_path, db_url, fusion_home=make_checkout(tmp_path),
                         fusion_python=Path(sys.executable), cancel_grace=60.0)


@pytest.fixture
def fusion55_settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings that run FUSION's 5.5 line from a checkout of its stand-in."""
    return make_settings(tmp_path, db_url, fusion_home=make_checkout(tmp_path, "5.5"),
                         fusion_python=Path(sys.executable), cancel_grace=60.0)


@pytest.fixture
def fusion55_services(fusion55_settings: Settings,
                      services_with: Callable[[Settings], Services]) -> Services:
    return services_with(fusion55_settings)


@pytest.fixture
def fusion_services(fusion_settings: Settings,
                    services_with: Callable[[Settings], Services]) -> Services:
    """Services on `fusion_settings`."""
    return services_with(fusion_settings)
