-- One row per owner from Fivetran's `owner`, deactivated owners included (is_active false: deals and activities
-- keep pointing at reps who left), with the owner's primary team (owner_team.is_team_primary, names from `team`).
with teams as (
  select
    ot.owner_id,
    max(case when ot.is_team_primary then cast(ot.team_id as varchar) end) as primary_team_id,
    max(case when ot.is_team_primary then t.name end) as primary_team_name,
    min(cast(ot.team_id as varchar)) as any_team_id,
    min(t.name) as any_team_name
  from {{ source('fivetran', 'owner_team') }} as ot
  left join {{ source('fivetran', 'team') }} as t on cast(t.id as varchar) = cast(ot.team_id as varchar)
  group by ot.owner_id
)
select
  o.owner_id,
  o.user_id,
  o.email as owner_email,
  o.first_name,
  o.last_name,
  trim(coalesce(o.first_name, '') || ' ' || coalesce(o.last_name, '')) as owner_name,
  coalesce(t.primary_team_id, t.any_team_id) as team_id,
  coalesce(t.primary_team_name, t.any_team_name) as team_name,
  (coalesce(o.is_active, true) and o._fivetran_deleted is not true) as is_active,
  o.created_at,
  o.updated_at
from {{ source('fivetran', 'owner') }} as o
left join teams as t on t.owner_id = o.owner_id
