-- One row per live custom property of contacts and companies (HubSpot's property metadata): what lead scoring
-- turns into features by itself. HubSpot-defined and calculated properties are left out (the standard ones the
-- product uses are named in lead_features; calculated ones roll up other records, often after the outcome).
select
  p.object_type,
  p.name,
  p.label,
  p.type,
  p.field_type,
  p.column_name,
  p.options
from {{ source('hubspot_metadata', 'properties') }} as p
where p.object_type in ('contacts', 'companies')
  and p.hubspot_defined is not true
  and p.calculated is not true
  and p.is_deleted is not true
