"""A waiting-room page after a network drop: how long after the network returns until the
page shows what changed while it was gone (PRODUCT §5: within 5 s of a 10 s drop).

A doctor's waiting room is open in real Chromium, reaching the server through a TCP proxy
on loopback (tests.support.loopback.FlakyLink). The proxy drops the network for 10 s in one of three
ways; meanwhile an employee joins the queue. Measured from the moment the network is back
until the page shows the new entry, without a reload. Baseline, in the same run: a second
page that is simply reloaded when the network is back (what a person would do), timed
from its reload.

- "enheden mærker det": the device's network drops and returns (the browser's offline and
  online events) and the open connection is lost for good (a new address);
- "proxy genstarter": connections are closed and new ones refused;
- "lydløst tab": the connection dies without a sign (a NAT or firewall forgot it): only
  the page's own heartbeat (every 10 s, answer within 3 s) can notice.

    .venv/bin/python bench/reconnect.py [--rounds 3] [--drop 10]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.browser import chromium  # noqa: E402 - needs the root on the path
from tests.support.loopback import FlakyLink  # noqa: E402
from tests.support.server import running, setup_on_sqlite  # noqa: E402
from tests.support.threads import in_own_thread  # noqa: E402

MODES = {
    "enheden mærker det": ("lose", True),
    "proxy genstarter": ("refuse", False),
    "lydløst tab": ("lose", False),
}

# Records, in the page, when the entry of consultation `id` first shows.
WATCH = """id => {
  window.klSeenAt = 0;
  window.klWatch?.disconnect();
  const seen = () => document.querySelector(`li.entry[data-id="${id}"]`);
  window.klWatch = new MutationObserver(() => {
    if (!window.klSeenAt && seen()) window.klSeenAt = Date.now();
  });
  window.klWatch.observe(document.getElementById("entries"), { childList: true, subtree: true });
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="drops per way (default 3)")
    parser.add_argument("--drop", type=float, default=10.0, help="seconds without network")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kl-bench-") as tmp:
        env = setup_on_sqlite(tmp)
        from kontaktlaege.consultations import actions
        from tests.support import factories
        from tests.support.signin import signed_in_page

        clinic = factories.ClinicFactory(name="Lægehuset Bench")
        ydernummer = factories.YdernummerFactory(clinic=clinic)
        gp = factories.ClinicStaffFactory(username="bench-gp", clinic=clinic)
        # Another person of the clinic for the baseline page: one TOTP code signs in once.
        secretary = factories.ClinicStaffFactory(username="bench-sekretaer", clinic=clinic)
        carer = factories.EmployeeFactory(username="bench-carer")
        results = {mode: ([], []) for mode in MODES}  # live page, reloaded page (ms)
        with (
            running(env) as (server,),
            FlakyLink(server.port) as link,
            chromium() as browser,
        ):
            live = signed_in_page(browser, link.base, gp)
            # The baseline reaches the server directly: a dead connection kept by the
            # browser's pool would only measure how long it takes to give up on it.
            reloaded = signed_in_page(browser, server.base, secretary)
            for page in (live, reloaded):
                page.goto("/klinik/")
                page.wait_for_selector("#connection:text('Live')")
            for n in range(args.rounds):
                for mode, (how, device_notices) in MODES.items():
                    live.wait_for_selector("#connection:text('Live')", timeout=60_000)
                    link.cut(how)
                    if device_notices:
                        live.context.set_offline(True)
                    c = in_own_thread(
                        lambda: actions.join_queue(carer, ydernummer=ydernummer, reason="Bench")
                    )
                    live.evaluate(WATCH, c.pk)
                    time.sleep(args.drop)
                    link.restore()
                    if device_notices:
                        live.context.set_offline(False)
                    back = time.time() * 1000
                    reloaded.reload()
                    reloaded.wait_for_selector(f'li.entry[data-id="{c.pk}"]')
                    reload_ms = time.time() * 1000 - back
                    live.wait_for_function("() => window.klSeenAt > 0", timeout=60_000)
                    live_ms = live.evaluate("() => window.klSeenAt") - back
                    results[mode][0].append(live_ms)
                    results[mode][1].append(reload_ms)
                    print(
                        f"  {n + 1}. {mode:<20} side live {live_ms:7.0f} ms, "
                        f"genindlæst {reload_ms:6.0f} ms",
                        flush=True,
                    )
                    in_own_thread(lambda pk=c.pk: actions.cancel(carer, pk))
                    live.wait_for_selector(f'li.entry[data-id="{c.pk}"]', state="detached")
    print()
    print(
        f"Network back → the change made during a {args.drop:.0f} s drop shows, "
        f"{args.rounds} drops per way (ms)"
    )
    print(f"{'way':<22}{'live median':>12}{'live max':>10}{'reload median':>15}{'ratio':>8}")
    for mode, (live_ms, reload_ms) in results.items():
        print(
            f"{mode:<22}{statistics.median(live_ms):>12.0f}{max(live_ms):>10.0f}"
            f"{statistics.median(reload_ms):>15.0f}"
            f"{statistics.median(live_ms) / statistics.median(reload_ms):>7.1f}×"
        )


if __name__ == "__main__":
    main()
