"""The undercloud lab: real Heat, MariaDB and SSH with a Newton overcloud."""
