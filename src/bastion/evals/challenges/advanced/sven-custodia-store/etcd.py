import posixpath
import threading


class EtcdException(Exception):
    pass


class EtcdKeyNotFound(EtcdException):
    pass


class EtcdAlreadyExist(EtcdException):
    pass


class EtcdNotFile(EtcdException):
    pass


class Node:
    def __init__(self, key, value=None, is_dir=False):
        self.key = key
        self.value = value
        self.dir = is_dir
        self.children = {}

    def get_subtree(self):
        yield self
        for child in sorted(self.children.values(), key=lambda n: n.key):
            yield from child.get_subtree()


class Client:
    def __init__(self):
        self._root = Node("/", is_dir=True)
        self._lock = threading.Lock()

    @staticmethod
    def _parts(key):
        clean = posixpath.normpath("/" + key.lstrip("/"))
        return clean, [p for p in clean.split("/") if p]

    def _find(self, key):
        _, parts = self._parts(key)
        node = self._root
        for part in parts:
            if not node.dir or part not in node.children:
                raise EtcdKeyNotFound(f"Key not found : {key}")
            node = node.children[part]
        return node

    def get(self, key):
        with self._lock:
            return self._find(key)

    def read(self, key, recursive=False):
        return self.get(key)

    def write(self, key, value, dir=False, prevExist=None):
        with self._lock:
            clean, parts = self._parts(key)
            if not parts:
                raise EtcdNotFile("Not a file : /")
            node = self._root
            for k, part in enumerate(parts[:-1]):
                if part not in node.children:
                    node.children[part] = Node("/" + "/".join(parts[: k + 1]), is_dir=True)
                node = node.children[part]
                if not node.dir:
                    raise EtcdNotFile(f"Not a directory : {node.key}")
            exists = parts[-1] in node.children
            if prevExist is False and exists:
                raise EtcdAlreadyExist(f"Key already exists : {clean}")
            if prevExist is True and not exists:
                raise EtcdKeyNotFound(f"Key not found : {clean}")
            node.children[parts[-1]] = Node(clean, value=value, is_dir=dir)

    def delete(self, key):
        with self._lock:
            clean, parts = self._parts(key)
            parent = self._find(posixpath.dirname(clean))
            if not parts or parts[-1] not in parent.children:
                raise EtcdKeyNotFound(f"Key not found : {clean}")
            del parent.children[parts[-1]]
