-- One row per owner, archived owners included (deals and activities keep pointing at reps who left), with
-- the owner's primary team.
with teams as (
  select
    t.owner_id,
    max(case when t.is_primary then t.team_id end) as primary_team_id,
    max(case when t.is_primary then t.team_name end) as primary_team_name,
    min(t.team_id) as any_team_id,
    min(t.team_name) as any_team_name
  from {{ source('hubspot', 'owner_teams') }} as t
  group by t.owner_id
)
select
  o.id as owner_id,
  o.user_id,
  o.email as owner_email,
  o.first_name,
  o.last_name,
  trim(coalesce(o.first_name, '') || ' ' || coalesce(o.last_name, '')) as owner_name,
  coalesce(t.primary_team_id, t.any_team_id) as team_id,
  coalesce(t.primary_team_name, t.any_team_name) as team_name,
  (o.is_deleted is not true) as is_active,
  o.created_at,
  o.updated_at
from {{ source('hubspot', 'owners') }} as o
left join teams as t on t.owner_id = o.id
