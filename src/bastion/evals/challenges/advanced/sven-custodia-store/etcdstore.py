import os

import etcd


class CSStoreError(Exception):
    pass


class CSStoreExists(Exception):
    pass


def log_error(message):
    print(message, flush=True)


class EtcdStore:
    def __init__(self, client, namespace):
        self.etcd = client
        self.namespace = namespace

    # @@sven:etcdstore.get@@

    # @@sven:etcdstore.set@@

    # @@sven:etcdstore.span@@

    # @@sven:etcdstore.list@@

    # @@sven:etcdstore.cut@@
