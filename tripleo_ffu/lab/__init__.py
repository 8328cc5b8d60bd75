"""The undercloud lab: a real Heat, MariaDB and SSH holding a Newton overcloud."""
