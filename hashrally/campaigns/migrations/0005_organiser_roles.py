# Roles per campaign: the many-to-many table of organisers becomes a model of its own (the same
# table, so no row moves), with a role; everyone who organised before keeps every right (owner).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('campaigns', '0004_network_choices_from_registry'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Organiser',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='campaigns.campaign')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'campaigns_campaign_organisers',
                        'unique_together': {('campaign', 'user')},
                    },
                ),
                migrations.AlterField(
                    model_name='campaign',
                    name='organisers',
                    field=models.ManyToManyField(blank=True, help_text='Staff who may manage it, each in a role.', related_name='campaigns', through='campaigns.Organiser', to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name='organiser',
            name='role',
            field=models.CharField(choices=[('owner', 'Owner: everything, including who organises and the audit log'), ('editor', 'Editor: edits the campaign, exports and downloads its data'), ('viewer', 'Viewer: the dashboard and its figures, no personal data')], default='owner', max_length=10),
        ),
    ]
