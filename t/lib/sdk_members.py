"""openstacksdk against the module, as a cloud user would call it: an
unversioned endpoint (the SDK finds API v2 in the module's version
document) and a token.  Shares an image, lists and shows its members,
stops sharing it; prints what the SDK saw, one line a call."""

import sys

import openstack

endpoint, token, image, member = sys.argv[1:5]

conn = openstack.connection.Connection(
    auth_type="admin_token",
    auth={"endpoint": endpoint, "token": token},
    image_endpoint_override=endpoint,
    region_name="RegionOne")

m = conn.image.add_member(image, member=member)
print("add_member", m.member_id, m.status)
print("members", ",".join(sorted(x.member_id
                                 for x in conn.image.members(image))))
print("get_member", conn.image.get_member(member, image).status)
conn.image.remove_member(member, image)
print("members", ",".join(sorted(x.member_id
                                 for x in conn.image.members(image))))
