-- One row per deal pipeline stage from Airbyte's deal_pipelines stream, whose `stages` is a JSON array (stageId,
-- label, displayOrder, metadata {isClosed, probability} as strings); read by position (up to 100 stages per
-- pipeline, HubSpot's limit), the one way both DuckDB and PostgreSQL index JSON alike. Won and lost come from the
-- stage metadata, never from labels: closed with probability 1 is won, closed with probability 0 is lost.
with positions as (
  select d1.i * 10 + d2.i as i
  from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d1(i)
  cross join (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d2(i)
), stages as (
  select
    p.pipelineid as pipeline_id,
    p.label as pipeline_label,
    p.active as pipeline_active,
    (p.stages -> n.i) as stage
  from {{ source('airbyte', 'deal_pipelines') }} as p
  cross join positions as n
  where (p.stages -> n.i) is not null
), typed as (
  select
    s.pipeline_id,
    s.pipeline_label,
    s.pipeline_active,
    (s.stage ->> 'stageId') as stage_id,
    (s.stage ->> 'label') as stage_label,
    cast((s.stage ->> 'displayOrder') as bigint) as stage_order,
    cast(((s.stage -> 'metadata') ->> 'probability') as double precision) as probability,
    coalesce(cast(((s.stage -> 'metadata') ->> 'isClosed') as boolean), false) as is_closed,
    cast((s.stage ->> 'active') as boolean) as stage_active
  from stages as s
)
select
  t.pipeline_id || ':' || t.stage_id as pipeline_stage_key,
  t.pipeline_id,
  t.pipeline_label,
  t.stage_id,
  t.stage_label,
  t.stage_order,
  t.probability,
  t.is_closed,
  (t.is_closed and t.probability = 1) as is_won,
  (t.is_closed and t.probability = 0) as is_lost,
  (t.stage_active is false or t.pipeline_active is false) as is_deleted
from typed as t
