#!/usr/bin/python3
"""Makes the demo's projects and users in a bootstrapped Keystone.

Usage: keystone_demo.py URL ADMIN_PASSWORD USER_PASSWORD

Creates, unless they exist, the projects demo-owner and demo-member, a user
of the same name on each with the role "member", and prints the two
projects' ids, one "name id" per line.  Standard library only.
"""

import json
import sys
import urllib.request


def call(url, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header('Content-Type', 'application/json')
    if token:
        req.add_header('X-Auth-Token', token)
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read()
        return (json.loads(text) if text else {}), resp.headers


def main():
    url, admin_password, password = sys.argv[1:4]

    _, headers = call(url, 'POST', '/v3/auth/tokens', body={'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'admin', 'domain': {'id': 'default'},
            'password': admin_password}}},
        'scope': {'project': {'name': 'admin',
                              'domain': {'id': 'default'}}}}})
    admin = headers['X-Subject-Token']

    roles, _ = call(url, 'GET', '/v3/roles?name=member', admin)
    role = roles['roles'][0]['id']

    for name in ('demo-owner', 'demo-member'):
        found, _ = call(url, 'GET', '/v3/projects?name=' + name, admin)
        if found['projects']:
            project = found['projects'][0]['id']
        else:
            made, _ = call(url, 'POST', '/v3/projects', admin, {
                'project': {'name': name, 'domain_id': 'default'}})
            project = made['project']['id']

        found, _ = call(url, 'GET', '/v3/users?name=' + name, admin)
        if found['users']:
            user = found['users'][0]['id']
        else:
            made, _ = call(url, 'POST', '/v3/users', admin, {
                'user': {'name': name, 'domain_id': 'default',
                         'password': password}})
            user = made['user']['id']

        call(url, 'PUT', '/v3/projects/%s/users/%s/roles/%s'
             % (project, user, role), admin)
        print(name, project)


if __name__ == '__main__':
    main()
