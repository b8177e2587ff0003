"""A scripted session with a real IRC client library (the PyPI `irc` package).

Usage: python3 irc_client_session.py PORT
Connects as `pyclient`, joins #lobby, waits for `plainuser` to say something, answers,
changes its nick to `pyclient2` and quits. Prints one line per event it sees, so the
test can assert on both sides. Exits 0 when the script ran to the end, 1 otherwise.
"""
import sys
import time

import irc.client

port = int(sys.argv[1])
state = {"step": "connecting", "done": False}


def show(kind, event):
    print(f"{kind} {event.source} {event.target} {' | '.join(str(a) for a in event.arguments)}", flush=True)


def on_welcome(connection, event):
    show("WELCOME", event)
    connection.join("#lobby")


def on_join(connection, event):
    show("JOIN", event)


def on_pubmsg(connection, event):
    show("PUBMSG", event)
    if event.source.nick == "plainuser" and state["step"] == "connecting":
        state["step"] = "answered"
        connection.privmsg("#lobby", "hello plain")
        connection.nick("pyclient2")


def on_nick(connection, event):
    show("NICK", event)
    if event.target == "pyclient2":
        connection.quit("done")


def on_disconnect(connection, event):
    show("DISCONNECT", event)
    state["done"] = True


reactor = irc.client.Reactor()
client = reactor.server().connect("127.0.0.1", port, "pyclient", ircname="Python IRC client")
for name, handler in [("welcome", on_welcome), ("join", on_join), ("pubmsg", on_pubmsg),
                      ("nick", on_nick), ("disconnect", on_disconnect)]:
    client.add_global_handler(name, handler)

deadline = time.monotonic() + 30
while not state["done"] and time.monotonic() < deadline:
    reactor.process_once(timeout=0.2)
sys.exit(0 if state["done"] and state["step"] == "answered" else 1)
