-- One row per recorded value of a contact's lifecyclestage, from Fivetran's contact_property_history.
select
  h.contact_id,
  h.value as lifecycle_stage,
  h."timestamp" as changed_at,
  h.source as source_type
from {{ source('fivetran', 'contact_property_history') }} as h
where h.name = 'lifecyclestage'
