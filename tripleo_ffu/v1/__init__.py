"""Commands of `openstack overcloud ffwd-upgrade`, version 1."""
