"""The lab: real libvirt hosts on one machine, for development and for the tests that boot real guests."""
