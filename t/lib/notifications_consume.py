#!/usr/bin/python3
"""Prints the notifications waiting on a RabbitMQ broker, one JSON object
a line, until --count came or --timeout seconds went by.

By default it listens as a consumer of OpenStack notifications does, with
oslo.messaging's notification listener on the topic (priority info), and
prints what an endpoint is handed: ctxt, publisher_id, event_type,
payload, metadata.  With --raw it takes the AMQP messages themselves off
the queue "<topic>.info" and prints the exchange and routing key they
came through, their properties and their body as sent.
"""

import argparse
import json
import sys
import threading
import time
import urllib.parse


def listen(args):
    import oslo_messaging
    from oslo_config import cfg

    got = []
    done = threading.Event()

    class Endpoint(object):
        def info(self, ctxt, publisher_id, event_type, payload, metadata):
            got.append({'ctxt': ctxt, 'publisher_id': publisher_id,
                        'event_type': event_type, 'payload': payload,
                        'metadata': metadata})
            if len(got) >= args.count:
                done.set()

    conf = cfg.ConfigOpts()
    conf([], project='ims-test')
    transport = oslo_messaging.get_notification_transport(conf,
                                                          url=args.url)
    target = oslo_messaging.Target(exchange=args.exchange, topic=args.topic)
    listener = oslo_messaging.get_notification_listener(
        transport, [target], [Endpoint()], executor='threading')
    listener.start()
    done.wait(args.timeout)
    listener.stop()
    listener.wait()
    transport.cleanup()
    return got


def raw(args):
    import amqp

    u = urllib.parse.urlparse(args.url)
    conn = amqp.Connection(host='%s:%d' % (u.hostname, u.port),
                           userid=u.username, password=u.password,
                           virtual_host=urllib.parse.unquote(u.path[1:])
                           or '/')
    conn.connect()
    queue = args.topic + '.info'
    got = []
    deadline = time.time() + args.timeout
    channel = conn.channel()
    while len(got) < args.count and time.time() < deadline:
        try:
            msg = channel.basic_get(queue)
        except amqp.exceptions.NotFound:
            # not declared yet: nothing was sent
            channel = conn.channel()
            msg = None
        if msg is None:
            time.sleep(0.05)
            continue
        body = msg.body
        if isinstance(body, bytes):
            body = body.decode('utf-8')
        props = {k: (v.decode() if isinstance(v, bytes) else v)
                 for k, v in msg.properties.items()}
        got.append({'exchange': msg.delivery_info['exchange'],
                    'routing_key': msg.delivery_info['routing_key'],
                    'properties': props, 'body': body})
        channel.basic_ack(msg.delivery_tag)
    conn.close()
    return got


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--url', required=True)
    p.add_argument('--exchange', default='glance')
    p.add_argument('--topic', default='notifications')
    p.add_argument('--count', type=int, default=1)
    p.add_argument('--timeout', type=float, default=10)
    p.add_argument('--raw', action='store_true')
    args = p.parse_args()
    for n in (raw if args.raw else listen)(args):
        sys.stdout.write(json.dumps(n, sort_keys=True, default=str) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
