"""The passwords newton's tripleoclient deployed with: tripleo-common
5.x generated its PASSWORD_PARAMETER_NAMES into the plan (no file the
operator keeps); THT 5.3's overcloud.yaml made five more itself as
OS::Heat::RandomString resources, which the lab's templates make too."""

import secrets

# tripleo-common stable/newton (5.4.9) constants.PASSWORD_PARAMETER_NAMES.
NAMES = (
    'AdminPassword', 'AdminToken', 'AodhPassword', 'BarbicanPassword',
    'CeilometerMeteringSecret', 'CeilometerPassword', 'CephAdminKey',
    'CephClientKey', 'CephClusterFSID', 'CephMonKey', 'CephRgwKey',
    'CinderPassword', 'GlancePassword', 'GnocchiPassword',
    'HAProxyStatsPassword', 'HeatPassword', 'HeatStackDomainAdminPassword',
    'IronicPassword', 'KeystoneCredential0', 'KeystoneCredential1',
    'ManilaPassword', 'MistralPassword', 'MysqlClustercheckPassword',
    'NeutronMetadataProxySharedSecret', 'NeutronPassword', 'NovaPassword',
    'MigrationSshKey', 'RabbitPassword', 'RedisPassword', 'SaharaPassword',
    'SnmpdReadonlyUserPassword', 'SwiftHashSuffix', 'SwiftPassword',
    'TrovePassword', 'ZaqarPassword',
)
CEPHX_KEYS = ('CephAdminKey', 'CephMonKey')


def generate():
    """{name: value} of newton's list, made by today's tripleo-common
    generator where it still knows the name (AdminToken, the cephx keys
    it no longer lists are made as newton made them)."""
    from tripleo_common.utils import passwords
    made = passwords.generate_passwords()
    values = {}
    for name in NAMES:
        if name in made:
            values[name] = made[name]
        elif name in CEPHX_KEYS:
            values[name] = passwords.create_cephx_key()
        else:
            values[name] = secrets.token_urlsafe(18)
    return values
