"""The HAProxy configuration rendered from plain values, compared with the text expected for every shape."""

from __future__ import annotations

from dataclasses import replace

from balancer.config import (
    CloudServiceValues,
    LoadBalancerValues,
    MemberValues,
    SetValues,
    StandAloneValues,
    render,
)

LB = LoadBalancerValues(runtime_socket="/run/haproxy/region.sock")

HEADER = """\
# Written by the portal from its endpoints and load-balanced sets; changes made here are replaced.
global
    master-worker
    maxconn 4096
    stats socket /run/haproxy/region.sock mode 600 level admin
    stats timeout 2m

defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
"""

SSH = StandAloneValues(5, "SSH", "tcp", 22, 22, "web1", "10.254.128.10")
WEB = SetValues(
    set_id=3,
    name="web",
    protocol="tcp",
    public_port=80,
    private_port=8080,
    probe_protocol="http",
    probe_port=8080,
    probe_path="/health",
    probe_interval=15,
    probe_count=2,
    members=(MemberValues(8, "web1", "10.254.128.10"), MemberValues(9, "web2", "10.254.129.10")),
)


def service(**values) -> CloudServiceValues:
    return CloudServiceValues(**{"cloud_service_id": 1, "name": "shop", "address": "10.254.250.1", **values})


def test_no_cloud_services_render_the_global_and_default_sections_only():
    assert render(LB, []) == HEADER


def test_a_stand_alone_endpoint_is_a_frontend_and_a_backend_with_its_vm():
    assert (
        render(LB, [service(endpoints=(SSH,))])
        == HEADER
        + """
# shop: SSH on web1, public 22, private 22
frontend service-1-tcp-22
    bind 10.254.250.1:22
    default_backend endpoint-5

backend endpoint-5
    server endpoint-5 10.254.128.10:22  # web1
"""
    )


def test_an_endpoint_whose_vm_has_no_address_yet_has_no_server():
    assert (
        render(LB, [service(endpoints=(replace(SSH, address=None),))])
        == HEADER
        + """
# shop: SSH on web1, public 22, private 22
frontend service-1-tcp-22
    bind 10.254.250.1:22
    default_backend endpoint-5

backend endpoint-5
    # web1 has no address yet
"""
    )


def test_a_udp_endpoint_or_set_is_named_but_not_carried():
    udp_set = replace(WEB, protocol="udp", public_port=53, name="dns")
    text = render(LB, [service(endpoints=(replace(SSH, protocol="udp"),), sets=(udp_set,))])
    assert (
        text
        == HEADER
        + """
# shop: SSH (UDP 22) is not carried: HAProxy forwards TCP only

# shop: load-balanced set dns (UDP 53) is not carried: HAProxy forwards TCP only
"""
    )


def test_a_set_with_an_http_probe_checks_every_member_and_shares_one_frontend_and_port():
    assert (
        render(LB, [service(sets=(WEB,))])
        == HEADER
        + """
# shop: load-balanced set web, public 80, private 8080
frontend service-1-tcp-80
    bind 10.254.250.1:80
    default_backend set-3

backend set-3
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health
    http-check expect status 200
    server endpoint-8 10.254.128.10:8080 check port 8080 inter 15s fall 2 rise 1  # web1
    server endpoint-9 10.254.129.10:8080 check port 8080 inter 15s fall 2 rise 1  # web2
"""
    )


def test_a_set_with_a_tcp_probe_checks_a_connection_to_the_probe_port():
    tcp_set = replace(WEB, probe_protocol="tcp", probe_port=9000, probe_path="", probe_interval=5, probe_count=4)
    assert (
        render(LB, [service(sets=(tcp_set,))])
        == HEADER
        + """
# shop: load-balanced set web, public 80, private 8080
frontend service-1-tcp-80
    bind 10.254.250.1:80
    default_backend set-3

backend set-3
    balance roundrobin
    server endpoint-8 10.254.128.10:8080 check port 9000 inter 5s fall 4 rise 1  # web1
    server endpoint-9 10.254.129.10:8080 check port 9000 inter 5s fall 4 rise 1  # web2
"""
    )


def test_a_probe_path_cannot_break_out_of_the_configuration_syntax():
    odd = replace(WEB, probe_path="/a b#c$HOME'\"\\")
    assert "    http-check send meth GET uri /a%20b%23c%24HOME%27%22%5C\n" in render(LB, [service(sets=(odd,))])


def test_a_member_removed_leaves_the_others_in_the_backend():
    before = render(LB, [service(sets=(WEB,))])
    after = render(LB, [service(sets=(replace(WEB, members=WEB.members[1:]),))])
    assert after == before.replace(
        "    server endpoint-8 10.254.128.10:8080 check port 8080 inter 15s fall 2 rise 1  # web1\n", ""
    )
    assert after != before


def test_a_member_without_an_address_is_named_in_a_comment():
    waiting = replace(WEB, members=(WEB.members[0], replace(WEB.members[1], address=None)))
    assert "    # web2 has no address yet\n" in render(LB, [service(sets=(waiting,))])


def test_a_set_removed_takes_its_frontend_and_backend_away():
    both = render(LB, [service(endpoints=(SSH,), sets=(WEB,))])
    endpoint_only = render(LB, [service(endpoints=(SSH,))])
    assert endpoint_only == HEADER + both.removeprefix(HEADER).split("\n# shop: load-balanced set web")[0]
    assert "set-3" not in endpoint_only


def test_ports_are_in_order_and_cloud_services_listen_on_their_own_addresses():
    other = CloudServiceValues(
        2, "blog", "10.254.250.2", endpoints=(StandAloneValues(7, "SSH", "tcp", 22, 22, "blog1", "10.254.128.11"),)
    )
    text = render(LB, [other, service(endpoints=(replace(SSH, public_port=2222),), sets=(WEB,))])
    frontends = [line for line in text.splitlines() if line.startswith(("frontend", "    bind"))]
    assert frontends == [
        "frontend service-1-tcp-80",
        "    bind 10.254.250.1:80",
        "frontend service-1-tcp-2222",
        "    bind 10.254.250.1:2222",
        "frontend service-2-tcp-22",
        "    bind 10.254.250.2:22",
    ]


def test_names_in_comments_stay_on_one_line():
    text = render(LB, [service(name="shop\nbind 0.0.0.0:1", endpoints=(SSH,))])
    assert "# shop?bind 0.0.0.0:1: SSH on web1" in text
    assert "\nbind 0.0.0.0:1" not in text
