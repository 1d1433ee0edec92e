-- One row per recorded value of a contact's lifecyclestage.
select
  h.object_id as contact_id,
  h.value as lifecycle_stage,
  h.changed_at,
  h.source_type
from {{ source('hubspot', 'property_history') }} as h
where h.object_type = 'contacts' and h.property = 'lifecyclestage'
