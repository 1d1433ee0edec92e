-- One row per live contact: the lead-scoring features as they stood at the contact's prediction time, and the
-- outcome timestamps the labels are made from (never features). The prediction time is the contact's creation
-- plus var lead_prediction_days (default 14), or the end of the as-of date when that comes first.
-- Point in time: engagement counts, the first call or email and product usage count only what happened before
-- the prediction time. The first call or email is kept for inbound leads only (original source set and not
-- OFFLINE, as the activity analysis defines them, and not imported): it is the team's response to a lead that
-- asked. For a contact nobody was waiting on, the first touch is the sales team's own outreach, which follows an
-- opportunity being worked: with it, the model found "signal" (holdout AUC 0.60 and 0.67, usable) on two of five
-- demo portals generated with every effect off; that outreach is left to the opt-in sales-activity features.
-- Job title, original source and the company's firmographics (with its segment: industry by employee band) are
-- taken as they are now (they describe who the lead is and rarely change). Lifecycle stages, lead status and
-- anything derived from deals are left out: they move with the outcome. The web counters (visits, page views,
-- form submissions, email opens and clicks) are HubSpot's running totals without history, so they are the current
-- values.
{{ config(materialized='table') }}
with params as (
  select
    a.as_of_date,
    cast(a.as_of_date as timestamp) + interval '1 day' as as_of_end,
    cast({{ var('lead_prediction_days', 14) }} as integer) as prediction_days
  from {{ ref('int_as_of') }} as a
), base as (
  select
    c.contact_id,
    c.contact_created_at as created_at,
    case
      when c.contact_created_at + p.prediction_days * interval '1 day' < p.as_of_end
        then c.contact_created_at + p.prediction_days * interval '1 day'
      else p.as_of_end
    end as prediction_at,
    p.prediction_days,
    p.as_of_date,
    c.company_id,
    lower(c.email) as email,
    c.jobtitle,
    lower(trim(c.jobtitle)) as title,
    c.original_source,
    c.country as contact_country,
    (c.phone is not null) as has_phone,
    cast(c.hs_analytics_num_visits as double precision) as web_visits,
    cast(c.hs_analytics_num_page_views as double precision) as web_page_views,
    cast(c.num_conversion_events as double precision) as form_submissions,
    cast(c.hs_email_open as double precision) as email_opens,
    cast(c.hs_email_click as double precision) as email_clicks,
    c.became_sql_at,
    c.became_opportunity_at,
    c.became_customer_at
  from {{ ref('contacts') }} as c
  cross join params as p
), imported as (
  -- Created by an import: the first lifecycle entry was written by one.
  select h.contact_id, max(case when h.source_type = 'IMPORT' then 1 else 0 end) as created_by_import
  from {{ ref('stg_hubspot__contact_lifecycle_history') }} as h
  join base as b on b.contact_id = h.contact_id
  where h.changed_at < b.prediction_at
  group by h.contact_id
), touches as (
  select
    b.contact_id,
    sum(case when l.engagement_type = 'call' then 1 else 0 end) as calls_before,
    sum(case when l.engagement_type = 'email' then 1 else 0 end) as emails_before,
    sum(case when l.engagement_type = 'meeting' then 1 else 0 end) as meetings_before,
    sum(case when l.engagement_type = 'note' then 1 else 0 end) as notes_before,
    sum(case when l.engagement_type = 'task' then 1 else 0 end) as tasks_before,
    min(case when l.engagement_type in ('call', 'email') and l.occurred_at >= b.created_at then l.occurred_at end)
      as first_touch_at
  from {{ ref('int_engagement_links') }} as l
  join base as b on b.contact_id = l.linked_id
  where l.linked_type = 'contacts' and l.occurred_at < b.prediction_at
  group by b.contact_id
), usage_events as (
  -- Product events match a contact by hubspot_contact_id, else by email (as the contacts mart does).
  select b.contact_id, u.event_date, u.logins, u.key_feature_uses
  from base as b
  join {{ ref('stg_hubspot__product_usage') }} as u on u.hubspot_contact_id = b.contact_id
  where u.event_date >= cast(b.created_at as date) and u.event_date < cast(b.prediction_at as date)
  union all
  select b.contact_id, u.event_date, u.logins, u.key_feature_uses
  from base as b
  join {{ ref('stg_hubspot__product_usage') }} as u on u.email = b.email
  where u.hubspot_contact_id is null
    and u.event_date >= cast(b.created_at as date) and u.event_date < cast(b.prediction_at as date)
), usage as (
  select
    e.contact_id,
    count(distinct e.event_date) as usage_active_days,
    cast(sum(e.logins) as bigint) as usage_logins,
    cast(sum(e.key_feature_uses) as bigint) as usage_key_feature_uses
  from usage_events as e
  group by e.contact_id
)
select
  b.contact_id,
  b.created_at,
  b.prediction_at,
  b.prediction_days,
  b.as_of_date,
  b.became_sql_at,
  b.became_opportunity_at,
  b.became_customer_at,
  b.company_id,
  b.jobtitle,
  case
    when b.title is null or b.title = '' then null
    when b.title like '%student%' or b.title like '%intern' or b.title like 'intern%' then 'student'
    when b.title in ('ceo', 'cto', 'cfo', 'cmo', 'coo', 'cio', 'cro', 'chro', 'cso', 'cpo')
      or b.title like 'chief %' or b.title like '% chief %' or b.title like '%founder%' or b.title like '%& ceo%'
      or b.title like '%president%' and b.title not like '%vice president%' then 'c_level'
    when b.title like '%vice president%' or b.title like 'vp %' or b.title like '% vp %' or b.title like 'svp %'
      or b.title like 'evp %' then 'vp'
    when b.title like '%director%' or b.title like 'head of %' then 'director'
    when b.title like '%manager%' then 'manager'
    else 'individual_contributor'
  end as seniority,
  case
    when b.title is null or b.title = '' then null
    when b.title like '%revenue operations%' or b.title like '%sales op%' or b.title like '%revops%' then 'revenue_operations'
    when b.title like '%marketing%' or b.title like '%growth%' or b.title like '%brand%' or b.title = 'cmo' then 'marketing'
    when b.title like '%sales%' or b.title like '%account executive%' or b.title like '%business development%'
      or b.title like '%revenue officer%' or b.title = 'cro' then 'sales'
    when b.title like '%engineer%' or b.title like '%developer%' or b.title like '%technology officer%'
      or b.title = 'cto' then 'engineering'
    when b.title like '%financ%' or b.title like '%accountant%' or b.title like '%controller%' or b.title = 'cfo'
      then 'finance'
    when b.title like 'it %' or b.title like '% it' or b.title like '% it %' or b.title like '%systems admin%'
      or b.title like '%information officer%' or b.title = 'cio' then 'it'
    when b.title like '%people%' or b.title like '%recruit%' or b.title like '%human resources%'
      or b.title like 'hr %' or b.title like '% hr%' or b.title = 'chro' then 'hr'
    when b.title like '%operations%' or b.title = 'coo' then 'operations'
    else 'other'
  end as job_function,
  b.original_source,
  coalesce(i.created_by_import, 0) as created_by_import,
  b.contact_country,
  b.has_phone,
  (b.company_id is not null) as has_company,
  co.industry as company_industry,
  -- Industry (admins' spellings mapped onto HubSpot's values, as the ICP analysis segments) by employee band: the
  -- combination a fit model needs to see a segment that wins (mid-market software) beside one that does not.
  case when icp.industry is not null and icp.size_band is not null
    then lower(replace(icp.industry, '_', ' ')) || ', ' || icp.size_band || ' employees' end as company_segment,
  cast(co.employee_count as double precision) as company_employees,
  cast(co.annual_revenue as double precision) as company_revenue,
  co.country as company_country,
  co.type as company_type,
  b.web_visits,
  b.web_page_views,
  b.form_submissions,
  b.email_opens,
  b.email_clicks,
  coalesce(t.calls_before, 0) as calls_before,
  coalesce(t.emails_before, 0) as emails_before,
  coalesce(t.meetings_before, 0) as meetings_before,
  coalesce(t.notes_before, 0) as notes_before,
  coalesce(t.tasks_before, 0) as tasks_before,
  case
    when coalesce(i.created_by_import, 0) = 0 and b.original_source is not null and upper(b.original_source) <> 'OFFLINE'
      then t.first_touch_at
  end as first_touch_at,
  coalesce(u.usage_active_days, 0) as usage_active_days,
  coalesce(u.usage_logins, 0) as usage_logins,
  coalesce(u.usage_key_feature_uses, 0) as usage_key_feature_uses
from base as b
left join {{ ref('companies') }} as co on co.company_id = b.company_id
left join {{ ref('icp_companies') }} as icp on icp.company_id = b.company_id
left join imported as i on i.contact_id = b.contact_id
left join touches as t on t.contact_id = b.contact_id
left join usage as u on u.contact_id = b.contact_id
