"""Faultline's ASGI server (Daphne) under cProfile: the event-loop thread and every other thread.

The ORM work of `database_sync_to_async` runs on threads (one per consumer inside Channels'
thread-sensitive context), so a profiler is started in every new thread and their statistics are
merged. Stop the server with SIGTERM or Ctrl-C; the profiles are written and their top lines printed.

    DATABASE_URL=… REDIS_URL=… python bench/profile_server.py --port 8140 --out /tmp/faultline
    python bench/loadgen.py steady --url ws://127.0.0.1:8140/ocpp --chargers 300 --rate 400 --duration 20
"""

import argparse
import cProfile
import os
import pstats
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

profiles: dict[str, cProfile.Profile] = {}
thread_profiles: list[cProfile.Profile] = []


def _profile_new_thread(frame, event, arg) -> None:
    # Called once as the new thread's profile hook: hand the thread over to its own cProfile.
    sys.setprofile(None)
    profile = cProfile.Profile()
    thread_profiles.append(profile)
    profile.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8140)
    parser.add_argument("--out", default="/tmp/faultline-profile")
    parser.add_argument("--top", type=int, default=25)
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    threading.setprofile(_profile_new_thread)
    from daphne.cli import CommandLineInterface

    main_profile = cProfile.Profile()
    profiles["event-loop"] = main_profile
    main_profile.enable()
    try:
        CommandLineInterface().run(["-b", "127.0.0.1", "-p", str(options.port), "config.asgi:application"])
    finally:
        main_profile.disable()
        for profile in thread_profiles:
            profile.create_stats()
        stats = {"event-loop": pstats.Stats(main_profile)}
        if thread_profiles:
            stats["threads"] = pstats.Stats(*thread_profiles)
        for name, merged in stats.items():
            path = f"{options.out}-{name}.prof"
            merged.dump_stats(path)
            print(f"\n===== {name} ({path}) =====", flush=True)
            merged.sort_stats("cumulative").print_stats(options.top)
            merged.sort_stats("tottime").print_stats(options.top)
        sys.stdout.flush()
        # The database pool's and the executors' threads would keep the process alive after Daphne stops.
        os._exit(0)


if __name__ == "__main__":
    main()
