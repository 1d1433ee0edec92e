-- One row per live deal from Fivetran's `deal`. Fivetran keeps the pipeline, stage and owner in deal_pipeline_id,
-- deal_pipeline_stage_id and owner_id rather than as property columns; they come back here as the pipeline,
-- dealstage and hubspot_owner_id properties. Then revlens's record columns (created_at / updated_at are
-- hs_createdate / hs_lastmodifieddate) and every other property under its HubSpot name (var fivetran_deal_columns).
select
  d.deal_id,
  d.property_dealname as deal_name,
  d.deal_pipeline_id as pipeline_id,
  d.deal_pipeline_stage_id as deal_stage_id,
  d.owner_id,
  d.property_hs_manual_forecast_category as forecast_category,
  d.property_{{ var('competitor_property', 'competitor') }} as competitor_name,
  d.property_closed_lost_reason as loss_reason,
  d.deal_id as id,
  d.property_hs_createdate as created_at,
  d.property_hs_lastmodifieddate as updated_at,
  (coalesce(d.is_deleted, false) or coalesce(d._fivetran_deleted, false)) as is_deleted,
  cast(null as timestamp) as archived_at,
  cast(null as bigint) as merged_into_id,
  d._fivetran_synced as synced_at,
  d.deal_pipeline_id as pipeline,
  d.deal_pipeline_stage_id as dealstage,
  cast(d.owner_id as varchar) as hubspot_owner_id,
  {{ var('fivetran_deal_columns') }}
from {{ source('fivetran', 'deal') }} as d
where d.is_deleted is not true and d._fivetran_deleted is not true
