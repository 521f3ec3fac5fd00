//! The fixed produce catalogue the `lookup` tool searches.

use rmcp::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
/// Kind of produce.
pub enum Category {
    Fruit,
    Vegetable,
    Grain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
/// A colour the produce can have.
pub enum Color {
    Red,
    Green,
    Yellow,
    Orange,
    Brown,
    White,
}

/// Narrows a lookup; every given criterion must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub struct Filter {
    /// Only items of this category.
    pub category: Option<Category>,
    /// Only items having at least one of these colours; empty means any colour.
    #[serde(default)]
    pub colors: Vec<Color>,
}

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Item {
    pub name: String,
    pub category: Category,
    pub colors: Vec<Color>,
}

const ITEMS: &[(&str, Category, &[Color])] = &[
    ("apple", Category::Fruit, &[Color::Red, Color::Green]),
    ("banana", Category::Fruit, &[Color::Yellow]),
    ("tomato", Category::Fruit, &[Color::Red]),
    ("carrot", Category::Vegetable, &[Color::Orange]),
    (
        "potato",
        Category::Vegetable,
        &[Color::Brown, Color::Yellow],
    ),
    ("rice", Category::Grain, &[Color::White, Color::Brown]),
    ("wheat", Category::Grain, &[Color::Brown]),
];

/// Items whose name contains `query` (case-insensitive) and that pass `filter`, in catalogue order.
pub fn lookup(query: &str, filter: Option<&Filter>) -> Vec<Item> {
    let query = query.to_lowercase();
    ITEMS
        .iter()
        .filter(|(name, _, _)| name.contains(&query))
        .filter(|(_, category, colors)| {
            filter.is_none_or(|f| {
                f.category.is_none_or(|wanted| wanted == *category)
                    && (f.colors.is_empty() || f.colors.iter().any(|c| colors.contains(c)))
            })
        })
        .map(|(name, category, colors)| Item {
            name: (*name).to_owned(),
            category: *category,
            colors: colors.to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(items: Vec<Item>) -> Vec<String> {
        items.into_iter().map(|item| item.name).collect()
    }

    #[test]
    fn query_matches_name_substrings_case_insensitively() {
        assert_eq!(names(lookup("ATO", None)), ["tomato", "potato"]);
        assert!(lookup("kiwi", None).is_empty());
    }

    #[test]
    fn category_filter_keeps_only_that_category() {
        let filter = Filter {
            category: Some(Category::Vegetable),
            colors: vec![],
        };
        assert_eq!(names(lookup("ato", Some(&filter))), ["potato"]);
    }

    #[test]
    fn colour_filter_keeps_items_with_any_listed_colour() {
        let filter = Filter {
            category: None,
            colors: vec![Color::Red, Color::White],
        };
        assert_eq!(
            names(lookup("", Some(&filter))),
            ["apple", "tomato", "rice"]
        );
    }

    #[test]
    fn both_criteria_must_hold() {
        let filter = Filter {
            category: Some(Category::Grain),
            colors: vec![Color::Yellow],
        };
        assert!(lookup("", Some(&filter)).is_empty());
    }
}
