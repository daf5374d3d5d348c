"""Drivers for the hosts of the fabric: a simulated one, embedded, and one for libvirt hosts."""
