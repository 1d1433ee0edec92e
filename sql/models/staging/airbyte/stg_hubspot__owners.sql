-- One row per owner from Airbyte's `owners` stream, archived owners included (deals and activities keep pointing at
-- reps who left), with the owner's primary team. `teams` is a JSON array ({id, name, primary}); it is read by
-- position (the first 20 teams of an owner), the one way both DuckDB and PostgreSQL index JSON alike.
with positions as (
  select d1.i * 10 + d2.i as i
  from (values (0), (1)) as d1(i)
  cross join (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d2(i)
), owner_teams as (
  select
    cast(o.id as bigint) as owner_id,
    ((o.teams -> n.i) ->> 'id') as team_id,
    ((o.teams -> n.i) ->> 'name') as team_name,
    coalesce(cast(((o.teams -> n.i) ->> 'primary') as boolean), false) as is_primary
  from {{ source('airbyte', 'owners') }} as o
  cross join positions as n
  where (o.teams -> n.i) is not null
), teams as (
  select
    t.owner_id,
    max(case when t.is_primary then t.team_id end) as primary_team_id,
    max(case when t.is_primary then t.team_name end) as primary_team_name,
    min(t.team_id) as any_team_id,
    min(t.team_name) as any_team_name
  from owner_teams as t
  group by t.owner_id
)
select
  cast(o.id as bigint) as owner_id,
  o.userid as user_id,
  o.email as owner_email,
  o.firstname as first_name,
  o.lastname as last_name,
  trim(coalesce(o.firstname, '') || ' ' || coalesce(o.lastname, '')) as owner_name,
  coalesce(t.primary_team_id, t.any_team_id) as team_id,
  coalesce(t.primary_team_name, t.any_team_name) as team_name,
  (o.archived is not true) as is_active,
  cast(o.createdat as timestamp) as created_at,
  cast(o.updatedat as timestamp) as updated_at
from {{ source('airbyte', 'owners') }} as o
left join teams as t on t.owner_id = cast(o.id as bigint)
