#!/usr/bin/python3
"""The client flows of t/101-glance-keystone.t, as a cloud's users run them.

Usage: glance_flows.py KEYSTONE_URL PASSWORD GLANCE_URL MEMBER_PROJECT

With python-glanceclient, then with openstacksdk, each authenticated with a
password against Keystone and using the catalog's image endpoint (nginx in
front of Glance): the owner creates a shared image and adds the member
(Glance), the member accepts it with glanceclient and rejects the other
with openstacksdk (the module), then both list members and images through
nginx and straight from Glance; glanceclient's words for two refused
updates, through nginx and from Glance.  Prints one JSON document of what
each saw.
"""

import json
import sys

import openstack
from glanceclient import Client
from keystoneauth1 import loading, session


def keystone_session(url, password, user):
    loader = loading.get_plugin_loader('password')
    auth = loader.load_from_options(
        auth_url=url, username=user, password=password, project_name=user,
        user_domain_id='default', project_domain_id='default')
    return session.Session(auth=auth)


def glance_view(client, image_id):
    members = sorted((m['member_id'], m['status'])
                     for m in client.image_members.list(image_id))
    images = sorted(i['id'] for i in client.images.list()
                    if i['id'] == image_id)
    return {'members': members, 'listed': images}


def main():
    keystone, password, glance, member = sys.argv[1:5]
    out = {}

    # python-glanceclient: the catalog's endpoint, and Glance itself
    owner_s = keystone_session(keystone, password, 'owner')
    member_s = keystone_session(keystone, password, 'member')
    owner = Client('2', session=owner_s)
    member_c = Client('2', session=member_s)
    direct = Client('2', session=member_s, endpoint=glance)

    image = owner.images.create(name='flow-glanceclient',
                                visibility='shared', disk_format='raw',
                                container_format='bare')
    owner.image_members.create(image['id'], member)
    updated = member_c.image_members.update(image['id'], member, 'accepted')
    out['glanceclient'] = {
        'update': [updated['member_id'], updated['status']],
        'through_nginx': glance_view(member_c, image['id']),
        'glance_alone': glance_view(direct, image['id']),
        'owner_sees': sorted((m['member_id'], m['status']) for m in
                             owner.image_members.list(image['id'])),
    }

    # what glanceclient says of an update Glance refuses, through nginx and
    # from Glance alone
    def refusal(client, image_id, status):
        try:
            client.image_members.update(image_id, member, status)
        except Exception as e:
            return '%s: %s' % (type(e).__name__, e)
        return 'accepted'

    missing = '00000000-0000-4000-8000-00000000dead'
    out['glanceclient']['refusals'] = {
        'through_nginx': [refusal(member_c, missing, 'accepted'),
                          refusal(member_c, image['id'], 'maybe')],
        'glance_alone': [refusal(direct, missing, 'accepted'),
                         refusal(direct, image['id'], 'maybe')],
    }

    # openstacksdk: the catalog's endpoint
    def connect(user):
        return openstack.connect(
            auth_url=keystone, username=user, password=password,
            project_name=user, user_domain_id='default',
            project_domain_id='default', region_name='RegionOne')

    sdk_owner = connect('owner')
    sdk_member = connect('member')
    image2 = sdk_owner.image.create_image(
        name='flow-openstacksdk', visibility='shared', disk_format='raw',
        container_format='bare', allow_duplicates=True)
    sdk_owner.image.add_member(image2, member_id=member)
    m = sdk_member.image.update_member(member, image2, status='rejected')
    out['openstacksdk'] = {
        'update': [m.member_id, m.status],
        'owner_sees': sorted((x.member_id, x.status) for x in
                             sdk_owner.image.members(image2)),
        'glance_alone': glance_view(Client('2', session=member_s,
                                           endpoint=glance), image2.id),
    }

    print(json.dumps(out, sort_keys=True))


if __name__ == '__main__':
    main()
