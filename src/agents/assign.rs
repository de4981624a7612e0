//! Assignment: which queued conversation goes to which agent. Pure: the caller reads the
//! queue and the agents, applies the plan in a transaction, and tells everyone.

use std::collections::HashMap;

use crate::store::{Agent, AgentStatus, Conversation};

/// One assignment: the conversation and its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignmentPlan {
    /// The queued conversation.
    pub conversation_id: i64,
    /// The agent who gets it.
    pub agent_id: i64,
}

/// Assigns `queue` (longest waiting first) to online agents of the conversation's group (any
/// agent when no agent has that group at all), each time to the one with the fewest active
/// conversations under their maximum; what cannot be assigned keeps waiting, in order.
pub fn plan_assignments(
    queue: &[Conversation],
    agents: &[Agent],
    active: &HashMap<i64, i64>,
) -> Vec<AssignmentPlan> {
    let mut load: HashMap<i64, i64> =
        agents.iter().map(|a| (a.id, active.get(&a.id).copied().unwrap_or(0))).collect();
    let mut plan = Vec::new();
    for conversation in queue {
        let group = conversation.agent_group.as_deref();
        let group_exists = group.is_some_and(|g| agents.iter().any(|a| a.groups.iter().any(|ag| ag == g)));
        let chosen = agents
            .iter()
            .filter(|a| a.status == AgentStatus::Online && !a.disabled)
            .filter(|a| !group_exists || group.is_some_and(|g| a.groups.iter().any(|ag| ag == g)))
            .filter(|a| load[&a.id] < a.max_concurrent)
            .min_by_key(|a| (load[&a.id], a.id));
        if let Some(agent) = chosen {
            *load.entry(agent.id).or_default() += 1;
            plan.push(AssignmentPlan { conversation_id: conversation.id, agent_id: agent.id });
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ConversationState, Role};

    fn agent(id: i64, groups: &[&str], max: i64, status: AgentStatus) -> Agent {
        Agent {
            id,
            username: format!("a{id}"),
            display_name: format!("客服{id}"),
            password_hash: String::new(),
            role: Role::Agent,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            max_concurrent: max,
            status,
            disabled: false,
            created_at: 0,
        }
    }

    fn queued(id: i64, group: Option<&str>) -> Conversation {
        Conversation {
            id,
            customer_id: id,
            channel: "app".into(),
            state: ConversationState::Queued,
            dialog_state: serde_json::json!({}),
            agent_id: None,
            agent_group: group.map(str::to_string),
            handoff_reason: None,
            queued_at: Some(id),
            awaiting_rating: false,
            satisfaction: None,
            created_at: 0,
            updated_at: 0,
            closed_at: None,
            channel_blocked: None,
        }
    }

    #[test]
    fn the_least_busy_online_agent_under_their_maximum_gets_the_conversation() {
        let agents = [
            agent(1, &[], 5, AgentStatus::Online),
            agent(2, &[], 5, AgentStatus::Online),
            agent(3, &[], 5, AgentStatus::Away),
        ];
        let active = HashMap::from([(1, 2), (2, 1)]);
        let plan =
            plan_assignments(&[queued(10, None), queued(11, None), queued(12, None)], &agents, &active);
        assert_eq!(
            plan,
            vec![
                AssignmentPlan { conversation_id: 10, agent_id: 2 },
                AssignmentPlan { conversation_id: 11, agent_id: 1 },
                AssignmentPlan { conversation_id: 12, agent_id: 2 },
            ]
        );
    }

    #[test]
    fn a_full_agent_gets_nothing_and_the_conversation_waits() {
        let agents = [agent(1, &[], 1, AgentStatus::Online)];
        let plan = plan_assignments(&[queued(10, None), queued(11, None)], &agents, &HashMap::from([(1, 0)]));
        assert_eq!(plan, vec![AssignmentPlan { conversation_id: 10, agent_id: 1 }]);
    }

    #[test]
    fn groups_route_conversations_and_an_unknown_group_goes_to_anyone() {
        let agents = [
            agent(1, &["presale"], 5, AgentStatus::Online),
            agent(2, &["after-sales"], 5, AgentStatus::Online),
        ];
        let plan = plan_assignments(
            &[queued(10, Some("after-sales")), queued(11, Some("vip"))],
            &agents,
            &HashMap::new(),
        );
        assert_eq!(plan[0], AssignmentPlan { conversation_id: 10, agent_id: 2 });
        assert_eq!(plan[1].conversation_id, 11);
    }

    #[test]
    fn a_group_with_nobody_online_waits() {
        let agents = [
            agent(1, &["presale"], 5, AgentStatus::Online),
            agent(2, &["after-sales"], 5, AgentStatus::Offline),
        ];
        assert!(plan_assignments(&[queued(10, Some("after-sales"))], &agents, &HashMap::new()).is_empty());
    }
}
