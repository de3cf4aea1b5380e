-- Argo CD health check for ecs.berth.dev/Service (Berth).
-- Healthy: Ready=True for the current generation (steady state: the PRIMARY deployment has
-- desiredCount healthy RUNNING tasks and no other deployment has tasks).
-- Degraded: Stalled=True, or Ready=False with one of these failure reasons:
--   TaskDefinitionNotFound, InvalidPlacement, InvalidTaskDefinition, DeploymentFailed, RolledBack.
-- A staged deployment (BLUE_GREEN, CANARY, LINEAR) rolled back, by its circuit breaker or on request,
-- is Stalled=True reason RolledBack, so Degraded until the next good deployment.
-- Progressing: everything else (a rollout or scaling is under way, tasks are starting, a staged
-- deployment shifts traffic or bakes; a retried error; not yet observed).
local degradedReasons = {
  TaskDefinitionNotFound = true,
  InvalidPlacement = true,
  InvalidTaskDefinition = true,
  DeploymentFailed = true,
  RolledBack = true,
}

local hs = {status = "Progressing", message = "Waiting for the Berth controller to report status"}
local generation = 0
if obj.metadata ~= nil and obj.metadata.generation ~= nil then
  generation = obj.metadata.generation
end
local st = obj.status
if st == nil then
  return hs
end

-- A condition counts only if it was written for the current generation.
local function current(c)
  return c.observedGeneration == nil or c.observedGeneration >= generation
end

local function describe(c)
  local text = c.reason or c.type
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local ready = nil
local stalled = nil
if st.conditions ~= nil then
  for _, c in ipairs(st.conditions) do
    if c.type == "Ready" and current(c) then
      ready = c
    elseif c.type == "Stalled" and c.status == "True" and current(c) then
      stalled = c
    end
  end
end

if stalled ~= nil then
  return {status = "Degraded", message = describe(stalled)}
end
if ready ~= nil and ready.status == "False" and degradedReasons[ready.reason] then
  return {status = "Degraded", message = describe(ready)}
end
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  if ready ~= nil then
    hs.message = "Being deleted: " .. describe(ready)
  else
    hs.message = "Being deleted"
  end
  return hs
end
if st.observedGeneration == nil or st.observedGeneration < generation then
  hs.message = "Waiting for the Berth controller to observe generation " .. generation
  return hs
end
if ready == nil then
  return hs
end
if ready.status == "True" then
  return {status = "Healthy", message = ready.message or ""}
end
hs.message = describe(ready)
return hs
