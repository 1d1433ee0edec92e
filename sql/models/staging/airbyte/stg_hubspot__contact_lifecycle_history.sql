-- One row per recorded value of a contact's lifecyclestage, from Airbyte's contacts_property_history stream.
select
  cast(h.vid as bigint) as contact_id,
  h.value as lifecycle_stage,
  {{ revlens_epoch_ms_to_timestamp('h."timestamp"') }} as changed_at,
  h.source_type
from {{ source('airbyte', 'contacts_property_history') }} as h
where h.property = 'lifecyclestage'
