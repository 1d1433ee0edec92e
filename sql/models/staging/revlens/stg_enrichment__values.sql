-- One row per record × property a provider filled: the latest value `revlens enrich` received
-- (raw enrichment_results; empty until enrich runs).
select
  r.object_type || ':' || cast(r.record_id as varchar) || ':' || r.property as enrichment_key,
  r.object_type,
  r.record_id,
  r.property,
  r.value,
  r.provider,
  r.received_at
from (
  select
    e.object_type, e.record_id, e.property, e.value, e.provider, e.received_at,
    row_number() over (partition by e.object_type, e.record_id, e.property
                       order by e.received_at desc, e.request_id desc) as rn
  from {{ source('hubspot', 'enrichment_results') }} as e
  where e.value is not null and trim(e.value) <> ''
) as r
where r.rn = 1
