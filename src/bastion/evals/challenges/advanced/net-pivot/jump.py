import secrets
import socket
import socketserver
import sys
import threading
import time

with open("/service/secrets/jump_pin") as f:
    PIN = f"{int(f.read().strip(), 16) % 1000000:06d}"
with open("/service/secrets/pivot_key") as f:
    PIVOT_KEY = f.read().strip()
HOSTS = {"vault": ("127.0.0.33", 7000), "kv": ("127.0.0.31", 6390)}


def pipe(source, sink):
    try:
        while data := source.recv(4096):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Handler(socketserver.StreamRequestHandler):
    rbufsize = 0

    def say(self, text):
        self.wfile.write(text.encode())
        self.wfile.flush()

    def ask(self, prompt):
        self.say(prompt)
        line = self.rfile.readline()
        if not line:
            raise ConnectionError("client went away")
        return line.decode(errors="replace").strip()

    def handle(self):
        try:
            self.session()
        except (ConnectionError, OSError):
            pass

    def session(self):
        self.say("jump01 bastion host. authorized use only.\n")
        for _ in range(3):
            user, pin = self.ask("login: "), self.ask("pin: ")
            if user == "deploy" and secrets.compare_digest(pin, PIN):
                break
            time.sleep(0.5)
            self.say("access denied\n")
        else:
            return
        self.say("welcome, deploy. commands: hosts, connect <host> <port>, exit\n")
        while True:
            words = self.ask("jump01$ ").split()
            if not words or words[0] == "exit":
                return
            if words[0] == "hosts":
                self.say("".join(f"{name}\t{addr}:{port}\n" for name, (addr, port) in HOSTS.items()))
            elif words[0] == "connect" and len(words) == 3 and words[2].isdigit():
                try:
                    upstream = socket.create_connection((words[1], int(words[2])), timeout=5)
                except OSError as e:
                    self.say(f"connect: {e}\n")
                    continue
                upstream.settimeout(None)
                upstream.sendall(f"HELLO jump01 {PIVOT_KEY}\n".encode())
                self.say(f"connected to {words[1]}:{words[2]}\n")
                back = threading.Thread(target=pipe, args=(upstream, self.connection), daemon=True)
                back.start()
                pipe(self.connection, upstream)
                back.join()
                return
            else:
                self.say("unknown command\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    Server(("127.0.0.32", int(sys.argv[1])), Handler).serve_forever()
